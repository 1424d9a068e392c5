import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { insertSyncRecord } from "../../infrastructure/postgres/external_sync_repository.ts";
import { logger } from "../../shared/logger.ts";
import type { CreateCustomerDeps } from "./create_customer.ts";
import { BusinessDomainSchema } from "./create_customer_schema.ts";
import { failedSyncRecord } from "./customer_writes.ts";

/** The command of recordRejectedCreate: a POST /customers body that failed, and why. */
export interface RecordRejectedCreateCommand {
  user: CurrentUser;
  /** The body as sent (it may not have passed validation). */
  input: unknown;
  /** What the request answers; its code becomes the FAILED row's error_code. */
  error: unknown;
}

/**
 * Records the FAILED sync row of a rejected create (contract §6, ADR 0021) only for a user who
 * holds the business domain the body names once that field is valid (contract §10.2, ADR 0091):
 * no domain at all, or a valid domain the user lacks, is 403 FORBIDDEN and nothing is written; an
 * invalid domain writes nothing and leaves the caller's error to answer. A row that cannot be
 * written is logged, so the original error still answers.
 */
export async function recordRejectedCreate(
  deps: CreateCustomerDeps,
  command: RecordRejectedCreateCommand,
): Promise<void> {
  const { user, input } = command;
  BusinessDomainGuard.requireAny(user);
  const domain = BusinessDomainSchema.safeParse(
    (input as { customer?: { businessDomain?: unknown } } | undefined)?.customer?.businessDomain,
  );
  if (!domain.success) return;
  BusinessDomainGuard.requireDomain(user, domain.data);
  const record = failedSyncRecord(user, input, command.error);
  if (!record) return;
  try {
    await deps.db.sql.begin((tx) => insertSyncRecord(tx, record));
    deps.metrics?.recordSyncOutcome(record.source, "FAILED");
  } catch (writeError) {
    logger.error("could not record the failed sync", {
      source: record.source,
      remoteId: record.remoteId,
      errorCode: record.errorCode,
      error: (writeError as Error).message,
    });
  }
}
