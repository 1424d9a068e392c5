import type { Dependencies } from "../../dependencies.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { Customer, type CustomerView } from "../../domain/customer/customer.ts";
import { SourcePrefixStrategy } from "../../domain/customer/customer_code.ts";
import { type Source, SOURCES } from "../../domain/shared/source.ts";
import { cacheKeys } from "../../infrastructure/cache/cache.ts";
import { listCustomerIdsOfCompany } from "../../infrastructure/postgres/company_repository.ts";
import {
  findCustomerView,
  insertCustomer,
  nextCustomerCodeNumber,
} from "../../infrastructure/postgres/customer_repository.ts";
import { appendDomainEvent } from "../../infrastructure/postgres/domain_event_repository.ts";
import {
  findSuccessfulSync,
  insertSyncRecord,
} from "../../infrastructure/postgres/external_sync_repository.ts";
import { isUniqueViolation } from "../../infrastructure/postgres/unique_violation.ts";
import { AppError, isAppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";
import { bindLogFields, currentContext } from "../../shared/request_context.ts";
import { parseCreateCustomerInput } from "./create_customer_schema.ts";
import { resolveCompany } from "./resolve_company.ts";

export type { CreateCustomerInput } from "../../domain/customer/customer.ts";
import type { CreateCustomerInput } from "../../domain/customer/customer.ts";

/** What createCustomer needs: the database, the cache and, optionally, sync metrics. */
export type CreateCustomerDeps = Pick<Dependencies, "db" | "cache"> & {
  metrics?: { recordSyncOutcome(source: string, status: "SUCCESS" | "FAILED"): void };
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

/** The FAILED sync row's code: the contract code the failure answers over HTTP. */
function failureOf(error: unknown): { code: string; message: string } {
  if (!isAppError(error)) {
    return { code: "INTERNAL_ERROR", message: "an unexpected error occurred" };
  }
  const fields = error.errors?.map((item) => `${item.path}: ${item.message}`).join("; ");
  return { code: error.code, message: fields ? `${error.message} (${fields})` : error.message };
}

/** The customer an earlier successful import of (source, remoteId) created, if any. */
async function findReplay(
  deps: CreateCustomerDeps,
  user: CurrentUser,
  source: Source,
  remoteId: string,
): Promise<CustomerView | undefined> {
  const customerId = await findSuccessfulSync(deps.db.sql, {
    entityType: "CUSTOMER",
    source,
    remoteId,
  });
  if (customerId === undefined) return undefined;
  const customer = await findCustomerView(deps.db.sql, customerId);
  if (!customer) return undefined;
  if (!BusinessDomainGuard.canSee(user, customer.businessDomain)) {
    throw new AppError(
      "FORBIDDEN",
      `${source} record ${remoteId} was imported into a business domain not granted to you`,
    );
  }
  return customer;
}

async function recordFailure(
  deps: CreateCustomerDeps,
  command: CreateCustomerCommand,
  error: unknown,
): Promise<void> {
  const raw = command.input as Partial<CreateCustomerInput> | undefined;
  const remoteId = raw?.remoteId;
  const source = raw?.customer?.source ?? "MANUAL";
  if (typeof remoteId !== "string" || remoteId.trim() === "") return;
  if (!(SOURCES as readonly string[]).includes(source)) return;
  const failure = failureOf(error);
  try {
    await deps.db.sql.begin((tx) =>
      insertSyncRecord(tx, {
        entityType: "CUSTOMER",
        entityId: null,
        source,
        remoteId: remoteId.trim().slice(0, 200),
        businessDomain: typeof raw?.customer?.businessDomain === "string"
          ? raw.customer.businessDomain.slice(0, 100)
          : null,
        syncStatus: "FAILED",
        errorCode: failure.code,
        errorMessage: failure.message,
        traceId: currentContext()?.traceId ?? null,
        operationUid: command.user.dingUserId,
      })
    );
    deps.metrics?.recordSyncOutcome(source, "FAILED");
  } catch (writeError) {
    logger.error("could not record the failed sync", {
      source,
      remoteId,
      errorCode: failure.code,
      error: (writeError as Error).message,
    });
  }
}

async function insertNew(deps: CreateCustomerDeps, command: CreateCustomerCommand) {
  const { user } = command;
  const body = parseCreateCustomerInput(command.input);
  BusinessDomainGuard.requireDomain(user, body.customer.businessDomain);
  const source = body.customer.source ?? "MANUAL";
  if (body.remoteId !== undefined) {
    const replay = await findReplay(deps, user, source, body.remoteId);
    if (replay) return { customer: replay, created: false, staleCompanyCustomers: [] };
  }
  const companySource = body.company.source ??
    (body.company.sourceRefId ? source : "MANUAL");
  const outcome = await deps.db.sql.begin(async (tx) => {
    const resolved = await resolveCompany(tx, body.company, companySource);
    const externalCode = body.customer.externalCode ?? null;
    const sequence = SourcePrefixStrategy.needsSequence(externalCode)
      ? await nextCustomerCodeNumber(tx)
      : undefined;
    const status = Customer.initialStatus(body.customer.status);
    const customerId = await insertCustomer(tx, {
      customerCode: SourcePrefixStrategy.customerCode(source, externalCode, sequence),
      customerName: body.customer.customerName,
      companyId: resolved.company.id,
      businessDomain: body.customer.businessDomain,
      status,
      source,
      externalCode,
      contactName: body.customer.contactName ?? null,
      contactPhone: body.customer.contactPhone ?? null,
      remark: body.customer.remark ?? null,
      operationUid: user.dingUserId,
      operationName: user.name,
    });
    await appendDomainEvent(tx, {
      aggregateType: "Customer",
      aggregateId: customerId,
      eventType: "CustomerCreated",
      payload: {
        customerId,
        businessDomain: body.customer.businessDomain,
        source,
        status,
        companyId: resolved.company.id,
        companyCreated: resolved.created,
        remoteId: body.remoteId ?? null,
      },
    });
    if (body.remoteId !== undefined) {
      await insertSyncRecord(tx, {
        entityType: "CUSTOMER",
        entityId: customerId,
        source,
        remoteId: body.remoteId,
        businessDomain: body.customer.businessDomain,
        syncStatus: "SUCCESS",
        traceId: currentContext()?.traceId ?? null,
        operationUid: user.dingUserId,
      });
    }
    const customer = (await findCustomerView(tx, customerId))!;
    const staleCompanyCustomers = resolved.changed
      ? (await listCustomerIdsOfCompany(tx, resolved.company.id)).filter((id) => id !== customerId)
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
 * row in its own transaction before being rethrown.
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
    const raw = command.input as Partial<CreateCustomerInput> | undefined;
    const remoteId = typeof raw?.remoteId === "string" ? raw.remoteId.trim() : "";
    const source = raw?.customer?.source ?? "MANUAL";
    if (
      remoteId && (SOURCES as readonly string[]).includes(source) &&
      (isUniqueViolation(error) || isAppError(error, "CUSTOMER_DUPLICATED"))
    ) {
      // A concurrent import of the same record won the race: answer its customer.
      const replay = await findReplay(deps, command.user, source as Source, remoteId)
        .catch(() => undefined);
      if (replay) return { customer: replay, created: false };
    }
    const failure = isUniqueViolation(error)
      ? new AppError("CUSTOMER_DUPLICATED", "the customer was created concurrently", {
        cause: error,
      })
      : error;
    await recordFailure(deps, command, failure);
    throw failure;
  }
}
