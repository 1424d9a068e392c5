import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { type Cache, cacheKeys } from "../../infrastructure/cache/cache.ts";
import { listCustomerIdsOfCompany } from "../../infrastructure/postgres/company_repository.ts";
import { findCustomerView } from "../../infrastructure/postgres/customer_repository.ts";
import { logger } from "../../shared/logger.ts";
import { bindLogFields } from "../../shared/request_context.ts";
import { parseCreateCustomerInput } from "./create_customer_schema.ts";
import { recordRejectedCreate } from "./record_rejected_create.ts";
import {
  customerSource,
  findReplay,
  importKeyOf,
  replayOfDuplicate,
  writeNewCustomer,
} from "./customer_writes.ts";

export type { CreateCustomerInput } from "../../domain/customer/customer.ts";
import type { CreateCustomerInput, CustomerView } from "../../domain/customer/customer.ts";

/** What createCustomer needs: the database, the cache and, optionally, sync metrics. */
export type CreateCustomerDeps = {
  db: Database;
  cache: Cache;
  metrics?: {
    recordSyncOutcome(source: string, status: "SUCCESS" | "FAILED", count?: number): void;
  };
};

/** The command of createCustomer: the POST /customers body (or a normalised import row). */
export interface CreateCustomerCommand {
  user: CurrentUser;
  input: CreateCustomerInput;
}

/** The created customer, or (created false) the one an earlier identical import created. */
export interface CreateCustomerResult {
  customer: CustomerView;
  created: boolean;
}

async function insertNew(deps: CreateCustomerDeps, command: CreateCustomerCommand) {
  const { user } = command;
  const body = parseCreateCustomerInput(command.input);
  BusinessDomainGuard.requireDomain(user, body.customer.businessDomain);
  const source = customerSource(body);
  if (body.remoteId !== undefined) {
    const replay = await findReplay(deps.db.sql, user, source, body.remoteId);
    if (replay) return { customer: replay, created: false, staleCompanyCustomers: [] };
  }
  const outcome = await deps.db.sql.begin(async (tx) => {
    const written = await writeNewCustomer(tx, user, body);
    const customer = (await findCustomerView(tx, written.customerId))!;
    const staleCompanyCustomers = written.companyChanged
      ? (await listCustomerIdsOfCompany(tx, written.companyId)).filter((id) =>
        id !== written.customerId
      )
      : [];
    return { customer, staleCompanyCustomers };
  });
  if (body.remoteId !== undefined) deps.metrics?.recordSyncOutcome(source, "SUCCESS");
  return { ...outcome, created: true };
}

/**
 * Creates (or imports) a customer with its company in one transaction (contract section 6).
 * With a remoteId: a SUCCESS sync row in the same transaction, a replay of an earlier success
 * answers it with created false, and any failure is rolled back, then recorded as a FAILED sync
 * row in its own transaction (recordRejectedCreate: only in a domain the user holds) before being
 * rethrown.
 */
export async function createCustomer(
  deps: CreateCustomerDeps,
  command: CreateCustomerCommand,
): Promise<CreateCustomerResult> {
  try {
    BusinessDomainGuard.requireAny(command.user);
    const result = await insertNew(deps, command);
    bindLogFields({ customerId: result.customer.id, companyId: result.customer.company.id });
    if (result.staleCompanyCustomers.length > 0) {
      // The company's data changed: cached details of its other customers show the old values.
      await deps.cache.invalidate(...result.staleCompanyCustomers.map(cacheKeys.customer));
    }
    logger.info(result.created ? "customer created" : "customer import replayed", {
      customerId: result.customer.id,
      companyId: result.customer.company.id,
      customerCode: result.customer.customerCode,
    });
    return { customer: result.customer, created: result.created };
  } catch (error) {
    // A concurrent import of the same record won the race: answer its customer.
    const replay = await replayOfDuplicate(
      deps.db.sql,
      command.user,
      importKeyOf(command.input),
      error,
    );
    if (replay) return { customer: replay, created: false };
    await recordRejectedCreate(deps, { user: command.user, input: command.input, error });
    throw error;
  }
}
