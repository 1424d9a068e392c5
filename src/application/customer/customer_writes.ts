import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import {
  type CreateCustomerInput,
  Customer,
  type CustomerView,
} from "../../domain/customer/customer.ts";
import { SourcePrefixStrategy } from "../../domain/customer/customer_code.ts";
import { type Source, SOURCES } from "../../domain/shared/source.ts";
import {
  customerCodeExists,
  findCustomerView,
  insertCustomer,
  nextCustomerCodeNumber,
} from "../../infrastructure/postgres/customer_repository.ts";
import type { Queryable } from "../../infrastructure/postgres/database.ts";
import { appendDomainEvent } from "../../infrastructure/postgres/domain_event_repository.ts";
import {
  findSuccessfulSync,
  insertSyncRecord,
  type SyncRecordInput,
} from "../../infrastructure/postgres/external_sync_repository.ts";
import { AppError, isAppError } from "../../shared/errors.ts";
import { currentContext } from "../../shared/request_context.ts";
import { companySource, type CreateCustomerBody } from "./create_customer_schema.ts";
import { resolveCompany } from "./resolve_company.ts";

// Writes shared by the single create (createCustomer) and the batched import
// (createCustomerBatch), so both paths make the same rows, events and failure records.

/** What writing one new customer produced inside the caller's transaction. */
export interface WrittenCustomer {
  customerId: number;
  companyId: number;
  companyCreated: boolean;
  /** An existing company's data changed: cached details of its customers are stale. */
  companyChanged: boolean;
}

/** The source of the customer a create command makes. */
export function customerSource(body: CreateCustomerBody): Source {
  return body.customer.source ?? "MANUAL";
}

/** The CustomerCreated payload of a new customer (same shape on both paths). */
export function customerCreatedPayload(
  body: CreateCustomerBody,
  written: WrittenCustomer,
): Record<string, unknown> {
  return {
    customerId: written.customerId,
    businessDomain: body.customer.businessDomain,
    source: customerSource(body),
    status: Customer.initialStatus(body.customer.status),
    companyId: written.companyId,
    companyCreated: written.companyCreated,
    remoteId: body.remoteId ?? null,
  };
}

/** The SUCCESS sync row of an import (a create with a remoteId). */
export function successSyncRecord(
  user: CurrentUser,
  body: CreateCustomerBody & { remoteId: string },
  customerId: number,
): SyncRecordInput {
  return {
    entityType: "CUSTOMER",
    entityId: customerId,
    source: customerSource(body),
    remoteId: body.remoteId,
    businessDomain: body.customer.businessDomain,
    syncStatus: "SUCCESS",
    traceId: currentContext()?.traceId ?? null,
    operationUid: user.dingUserId,
  };
}

/**
 * The SourcePrefixStrategy code of a new customer. A sequence number whose code an external code
 * already took (a manual `externalCode` of `00000042` holds `MN-00000042`) is skipped, so a create
 * without an external code never fails as a duplicate.
 */
async function newCustomerCode(
  tx: Queryable,
  source: Source,
  externalCode: string | null,
): Promise<string> {
  if (!SourcePrefixStrategy.needsSequence(externalCode)) {
    return SourcePrefixStrategy.customerCode(source, externalCode);
  }
  for (;;) {
    const code = SourcePrefixStrategy.customerCode(source, null, await nextCustomerCodeNumber(tx));
    if (!(await customerCodeExists(tx, code))) return code;
  }
}

/**
 * Writes one validated create command in the caller's transaction: company (ADR 0020), customer,
 * CustomerCreated event and, with a remoteId, the SUCCESS sync row.
 */
export async function writeNewCustomer(
  tx: Queryable,
  user: CurrentUser,
  body: CreateCustomerBody,
): Promise<WrittenCustomer> {
  const source = customerSource(body);
  const resolved = await resolveCompany(tx, {
    input: body.company,
    source: companySource(body),
    domains: user.domainCodes,
  });
  const externalCode = body.customer.externalCode ?? null;
  const customerId = await insertCustomer(tx, {
    customerCode: await newCustomerCode(tx, source, externalCode),
    customerName: body.customer.customerName,
    companyId: resolved.company.id,
    businessDomain: body.customer.businessDomain,
    status: Customer.initialStatus(body.customer.status),
    source,
    externalCode,
    contactName: body.customer.contactName ?? null,
    contactPhone: body.customer.contactPhone ?? null,
    remark: body.customer.remark ?? null,
    operationUid: user.dingUserId,
    operationName: user.name,
  });
  const written = {
    customerId,
    companyId: resolved.company.id,
    companyCreated: resolved.created,
    companyChanged: resolved.changed,
  };
  await appendDomainEvent(tx, {
    aggregateType: "Customer",
    aggregateId: customerId,
    eventType: "CustomerCreated",
    payload: customerCreatedPayload(body, written),
    operator: { uid: user.dingUserId, name: user.name },
  });
  if (body.remoteId !== undefined) {
    await insertSyncRecord(
      tx,
      successSyncRecord(user, { ...body, remoteId: body.remoteId }, customerId),
    );
  }
  return written;
}

/** The customer an earlier successful import of (source, remoteId) created, if any. */
export async function findReplay(
  sql: Queryable,
  user: CurrentUser,
  source: Source,
  remoteId: string,
): Promise<CustomerView | undefined> {
  const customerId = await findSuccessfulSync(sql, { entityType: "CUSTOMER", source, remoteId });
  if (customerId === undefined) return undefined;
  const customer = await findCustomerView(sql, customerId);
  if (!customer) return undefined;
  if (!BusinessDomainGuard.canSee(user, customer.businessDomain)) throw importedElsewhere();
  return customer;
}

/**
 * The customer a concurrent (or earlier) import of the same record created, when `error` is the
 * CUSTOMER_DUPLICATED that race causes: the create then answers that customer as a replay. The
 * one place both create paths turn a duplicate into a replay (ADR 0094).
 */
export async function replayOfDuplicate(
  sql: Queryable,
  user: CurrentUser,
  key: { source: Source; remoteId: string } | undefined,
  error: unknown,
): Promise<CustomerView | undefined> {
  if (!key || !isAppError(error, "CUSTOMER_DUPLICATED")) return undefined;
  return await findReplay(sql, user, key.source, key.remoteId).catch(() => undefined);
}

/**
 * The 403 of a (source, remoteId) an earlier import put into a domain the user lacks: it names
 * neither the record nor that customer (contract §10.1).
 */
export function importedElsewhere(): AppError {
  return new AppError(
    "FORBIDDEN",
    "this source record was imported into a business domain not granted to you",
  );
}

/** The FAILED sync row's code: the contract code the failure answers over HTTP. */
export function failureOf(error: unknown): { code: string; message: string } {
  if (!isAppError(error)) {
    return { code: "INTERNAL_ERROR", message: "an unexpected error occurred" };
  }
  const fields = error.errors?.map((item) => `${item.path}: ${item.message}`).join("; ");
  return { code: error.code, message: fields ? `${error.message} (${fields})` : error.message };
}

/** The import key of a raw (possibly invalid) command, when it has one worth recording. */
export function importKeyOf(input: unknown): { source: Source; remoteId: string } | undefined {
  const raw = input as Partial<CreateCustomerInput> | undefined;
  const remoteId = typeof raw?.remoteId === "string" ? raw.remoteId.trim() : "";
  const source = raw?.customer?.source ?? "MANUAL";
  if (!remoteId || !(SOURCES as readonly string[]).includes(source)) return undefined;
  return { source: source as Source, remoteId };
}

/**
 * The one shape of a FAILED sync row: a rejected create, a failed batch row, an import row refused
 * before it is created or a remote id missing from the source (ADR 0021, ADR 0094).
 */
export function failedSyncRow(
  user: CurrentUser,
  key: { source: Source; remoteId: string; businessDomain: string | null },
  error: unknown,
): SyncRecordInput {
  const failure = failureOf(error);
  return {
    entityType: "CUSTOMER",
    entityId: null,
    source: key.source,
    remoteId: key.remoteId.slice(0, 200),
    businessDomain: key.businessDomain?.slice(0, 100) ?? null,
    syncStatus: "FAILED",
    errorCode: failure.code,
    errorMessage: failure.message,
    traceId: currentContext()?.traceId ?? null,
    operationUid: user.dingUserId,
  };
}

/**
 * The FAILED sync row of a failed create attempt (ADR 0021), or undefined when the command has no
 * remoteId (or no known source) to record it under.
 */
export function failedSyncRecord(
  user: CurrentUser,
  input: unknown,
  error: unknown,
): SyncRecordInput | undefined {
  const key = importKeyOf(input);
  if (!key) return undefined;
  const domain = (input as Partial<CreateCustomerInput>).customer?.businessDomain;
  return failedSyncRow(user, {
    ...key,
    businessDomain: typeof domain === "string" ? domain : null,
  }, error);
}
