import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { Company, type Company as CompanyRecord } from "../../domain/customer/company.ts";
import { type CreateCustomerInput, Customer } from "../../domain/customer/customer.ts";
import { SourcePrefixStrategy } from "../../domain/customer/customer_code.ts";
import type { Source } from "../../domain/shared/source.ts";
import { cacheKeys } from "../../infrastructure/cache/cache.ts";
import {
  type CompanyChanges,
  findCompaniesBySourceRefs,
  insertCompanies,
  listCustomerIdsOfCompanies,
  lockCompanyOwnedBy,
  updateCompany,
} from "../../infrastructure/postgres/company_repository.ts";
import {
  findCustomerRowsByIds,
  insertCustomers,
} from "../../infrastructure/postgres/customer_repository.ts";
import type { Queryable, TransactionSql } from "../../infrastructure/postgres/database.ts";
import { appendDomainEvents } from "../../infrastructure/postgres/domain_event_repository.ts";
import {
  findSucceededCustomerIds,
  insertSyncRecords,
  type SyncRecordInput,
} from "../../infrastructure/postgres/external_sync_repository.ts";
import { isRetryable } from "../../infrastructure/postgres/errors.ts";
import { AppError, isAppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";
import type { CreateCustomerDeps } from "./create_customer.ts";
import {
  companySource,
  type CreateCustomerBody,
  parseCreateCustomerInput,
} from "./create_customer_schema.ts";
import {
  customerCreatedPayload,
  customerSource,
  failedSyncRecord,
  failureOf,
  importedElsewhere,
  importKeyOf,
  replayOfDuplicate,
  successSyncRecord,
  writeNewCustomer,
} from "./customer_writes.ts";
import { ReferencedCompanyNotFound } from "./resolve_company.ts";

/** The outcome of one command of a batch, in input order. */
export type BatchItemOutcome =
  | { status: "CREATED" | "REPLAYED"; customerId: number }
  | { status: "FAILED"; errorCode: string; unexpected: boolean };

/** The command of createCustomerBatch: create commands (normalised import rows) of one user. */
export interface CreateCustomerBatchCommand {
  user: CurrentUser;
  inputs: CreateCustomerInput[];
  /**
   * The caller has just skipped the commands whose (source, remoteId) succeeded (the import's page
   * lookup): no lookup again. A success that lands meanwhile still becomes a replay through the
   * conflict it causes.
   */
  replaysChecked?: boolean;
}

interface PendingRow {
  index: number;
  input: CreateCustomerInput;
  body: CreateCustomerBody;
}

/** What the transaction of a batch decided; applied (metrics, cache) only after commit. */
interface BatchState {
  outcomes: (BatchItemOutcome | undefined)[];
  failures: SyncRecordInput[];
  staleCustomerIds: Set<number>;
}

/** Attempts of a batch whose transaction Postgres aborted (deadlock, serialization). */
const ATTEMPTS = 3;

/** The company fields an import may upsert besides the source key (the RB company data). */
const UPSERT_FIELDS = [
  "companyName",
  "unifiedSocialCreditCode",
  "address",
  "contactName",
  "contactPhone",
] as const;
type UpsertFields = CompanyChanges;

/**
 * True for the commands the set-based path handles: an import with an external code and a
 * company named only by `(source, sourceRefId)` (and maybe its upsert fields) whose code fits
 * without a sequence. Everything else runs through writeNewCustomer row by row.
 */
function isSetBased(body: CreateCustomerBody): boolean {
  const company = body.company;
  const keys = Object.keys(company).filter((key) =>
    (company as Record<string, unknown>)[key] !== undefined
  );
  const allowed = new Set<string>(["source", "sourceRefId", ...UPSERT_FIELDS]);
  return body.remoteId !== undefined && body.customer.externalCode !== undefined &&
    company.sourceRefId !== undefined &&
    keys.every((key) => allowed.has(key)) &&
    !Company.codeNeedsSequence(companySource(body), company.sourceRefId);
}

/** The upsert fields a row gives: none without a companyName (then the company is only linked). */
function upsertFields(body: CreateCustomerBody): UpsertFields {
  if (body.company.companyName === undefined) return {};
  const fields: Record<string, unknown> = {};
  for (const field of UPSERT_FIELDS) {
    const value = (body.company as Record<string, unknown>)[field];
    if (value !== undefined) fields[field] = value;
  }
  return fields as UpsertFields;
}

function companyKey(source: Source, sourceRefId: string): string {
  return `${source}\u0000${sourceRefId}`;
}

/**
 * The set-based writes of a batch: one lookup of the companies, one insert of the new ones (in
 * key order, so concurrent batches lock them in the same order), an update per company whose name
 * changed, then one insert each of customers, CustomerCreated events and SUCCESS sync rows. Each
 * company is written at most once per batch. Any database error aborts all of it (the caller
 * then runs the rows one by one); a missing company fails only its rows.
 */
async function writeSetBased(
  tx: Queryable,
  user: CurrentUser,
  rows: PendingRow[],
  state: BatchState,
): Promise<void> {
  const keys = new Map<string, { source: Source; sourceRefId: string }>();
  for (const row of rows) {
    const source = companySource(row.body);
    keys.set(companyKey(source, row.body.company.sourceRefId!), {
      source,
      sourceRefId: row.body.company.sourceRefId!,
    });
  }
  // Per company: what is stored (when it exists) and the fields this batch sets on it.
  const companies = new Map<
    string,
    { company?: CompanyRecord; fields: UpsertFields; changed: boolean }
  >();
  for (const company of await findCompaniesBySourceRefs(tx, [...keys.values()])) {
    companies.set(companyKey(company.source, company.sourceRefId!), {
      company,
      fields: {},
      changed: false,
    });
  }
  const planned: { row: PendingRow; key: string; companyCreated: boolean }[] = [];
  const notFound: { row: PendingRow; error: AppError }[] = [];
  for (const row of rows) {
    const source = companySource(row.body);
    const key = companyKey(source, row.body.company.sourceRefId!);
    const given = upsertFields(row.body);
    const known = companies.get(key);
    if (!known) {
      if (given.companyName === undefined) {
        notFound.push({
          row,
          error: new ReferencedCompanyNotFound(
            "no company found by source and sourceRefId; give a companyName to create it",
          ),
        });
        continue;
      }
      companies.set(key, { fields: { ...given }, changed: false });
      planned.push({ row, key, companyCreated: true });
      continue;
    }
    for (const field of UPSERT_FIELDS) {
      const value = given[field];
      if (value === undefined) continue;
      const current = field in known.fields ? known.fields[field] : known.company?.[field];
      if (value === current) continue;
      (known.fields as Record<string, unknown>)[field] = value;
      // A company created by this batch is inserted with its latest fields.
      known.changed = known.company !== undefined;
    }
    planned.push({ row, key, companyCreated: false });
  }

  const newKeys = [...companies.entries()].filter(([, entry]) => !entry.company)
    .map(([key]) => key).sort();
  const inserted = await insertCompanies(
    tx,
    newKeys.map((key) => {
      const { source, sourceRefId } = keys.get(key)!;
      const { fields } = companies.get(key)!;
      Company.validateSourceRef(source, sourceRefId);
      return {
        companyCode: Company.newCompanyCode(source, sourceRefId),
        companyName: fields.companyName!,
        source,
        sourceRefId,
        unifiedSocialCreditCode: fields.unifiedSocialCreditCode ?? null,
        address: fields.address ?? null,
        contactName: fields.contactName ?? null,
        contactPhone: fields.contactPhone ?? null,
      };
    }),
  );
  for (const company of inserted) {
    companies.get(companyKey(company.source, company.sourceRefId!))!.company = company;
  }
  const changedIds: number[] = [];
  for (const key of [...companies.keys()].sort()) {
    const entry = companies.get(key)!;
    if (!entry.changed) continue;
    // A company shared with a business line the user lacks keeps its fields (contract §10.1).
    if (!(await lockCompanyOwnedBy(tx, entry.company!.id, user.domainCodes))) continue;
    entry.company = await updateCompany(tx, entry.company!.id, entry.fields);
    changedIds.push(entry.company.id);
  }

  const ids = await insertCustomers(
    tx,
    planned.map(({ row, key }) => {
      const source = customerSource(row.body);
      const externalCode = row.body.customer.externalCode!;
      return {
        customerCode: SourcePrefixStrategy.customerCode(source, externalCode),
        customerName: row.body.customer.customerName,
        companyId: companies.get(key)!.company!.id,
        businessDomain: row.body.customer.businessDomain,
        status: Customer.initialStatus(row.body.customer.status),
        source,
        externalCode,
        contactName: row.body.customer.contactName ?? null,
        contactPhone: row.body.customer.contactPhone ?? null,
        remark: row.body.customer.remark ?? null,
        operationUid: user.dingUserId,
        operationName: user.name,
      };
    }),
  );
  const written = planned.map(({ row, key, companyCreated }, n) => ({
    row,
    written: {
      customerId: ids[n],
      companyId: companies.get(key)!.company!.id,
      companyCreated,
      companyChanged: false,
    },
  }));
  await Promise.all([
    appendDomainEvents(
      tx,
      written.map(({ row, written }) => ({
        aggregateType: "Customer" as const,
        aggregateId: written.customerId,
        eventType: "CustomerCreated",
        payload: customerCreatedPayload(row.body, written),
        operator: { uid: user.dingUserId, name: user.name },
      })),
    ),
    insertSyncRecords(
      tx,
      written.map(({ row, written }) =>
        successSyncRecord(user, { ...row.body, remoteId: row.body.remoteId! }, written.customerId)
      ),
    ),
  ]);
  const newIds = new Set(ids);
  for (const id of await listCustomerIdsOfCompanies(tx, changedIds)) {
    if (!newIds.has(id)) state.staleCustomerIds.add(id);
  }
  for (const { row, written: item } of written) {
    state.outcomes[row.index] = { status: "CREATED", customerId: item.customerId };
  }
  for (const { row, error } of notFound) failRow(state, user, row.input, row.index, error);
}

function failRow(
  state: BatchState,
  user: CurrentUser,
  input: unknown,
  index: number,
  error: unknown,
): void {
  const record = failedSyncRecord(user, input, error);
  if (record) state.failures.push(record);
  state.outcomes[index] = {
    status: "FAILED",
    errorCode: failureOf(error).code,
    unexpected: !isAppError(error),
  };
}

/** One command in its own savepoint: a failure rolls back its writes only (ADR 0070). */
async function writeOneByOne(
  tx: TransactionSql,
  user: CurrentUser,
  row: PendingRow,
  state: BatchState,
): Promise<void> {
  try {
    const written = await tx.savepoint((sp) => writeNewCustomer(sp, user, row.body));
    state.outcomes[row.index] = { status: "CREATED", customerId: written.customerId };
    if (written.companyChanged) {
      for (const id of await listCustomerIdsOfCompanies(tx, [written.companyId])) {
        if (id !== written.customerId) state.staleCustomerIds.add(id);
      }
    }
  } catch (error) {
    if (isRetryable(error)) throw error;
    // An earlier row of this batch, or a concurrent import, created the record: a replay.
    const replay = await replayOfDuplicate(tx, user, importKeyOf(row.body), error);
    if (replay) {
      state.outcomes[row.index] = { status: "REPLAYED", customerId: replay.id };
      return;
    }
    failRow(state, user, row.input, row.index, error);
  }
}

/** Earlier successes of the commands' (source, remoteId): replays, or 403 when now invisible. */
async function findReplays(
  deps: CreateCustomerDeps,
  user: CurrentUser,
  rows: PendingRow[],
): Promise<Map<number, { customerId: number } | { error: AppError }>> {
  const replays = new Map<number, { customerId: number } | { error: AppError }>();
  const bySource = new Map<Source, PendingRow[]>();
  for (const row of rows) {
    if (row.body.remoteId === undefined) continue;
    const source = customerSource(row.body);
    bySource.set(source, [...(bySource.get(source) ?? []), row]);
  }
  for (const [source, sourceRows] of bySource) {
    const succeeded = await findSucceededCustomerIds(
      deps.db.sql,
      source,
      sourceRows.map((row) => row.body.remoteId!),
    );
    if (succeeded.size === 0) continue;
    const domains = new Map(
      (await findCustomerRowsByIds(deps.db.sql, [...succeeded.values()]))
        .map((customer) => [customer.id, customer.business_domain]),
    );
    for (const row of sourceRows) {
      const customerId = succeeded.get(row.body.remoteId!);
      const domain = customerId === undefined ? undefined : domains.get(customerId);
      if (customerId === undefined || domain === undefined) continue;
      replays.set(
        row.index,
        BusinessDomainGuard.canSee(user, domain) ? { customerId } : { error: importedElsewhere() },
      );
    }
  }
  return replays;
}

/**
 * Creates many customers (normalised import rows) with the outcome createCustomer would give each
 * one, in shared transactions (ADR 0070): a valid command is written set-based with the others;
 * if that fails, each command runs in its own savepoint so a bad one rolls back alone. Every
 * failed command gets exactly one FAILED sync row, written in the batch's transaction (or after
 * it, when the transaction itself fails). Cache invalidation and metrics follow the commit.
 */
export async function createCustomerBatch(
  deps: CreateCustomerDeps,
  command: CreateCustomerBatchCommand,
): Promise<BatchItemOutcome[]> {
  const { user, inputs } = command;
  BusinessDomainGuard.requireAny(user);
  const preFailures: { index: number; error: unknown }[] = [];
  let pending: PendingRow[] = [];
  inputs.forEach((input, index) => {
    try {
      const body = parseCreateCustomerInput(input);
      BusinessDomainGuard.requireDomain(user, body.customer.businessDomain);
      pending.push({ index, input, body });
    } catch (error) {
      preFailures.push({ index, error });
    }
  });
  const replayed = new Map<number, number>();
  const replays = command.replaysChecked ? new Map() : await findReplays(deps, user, pending);
  pending = pending.filter((row) => {
    const replay = replays.get(row.index);
    if (!replay) return true;
    if ("customerId" in replay) replayed.set(row.index, replay.customerId);
    else preFailures.push({ index: row.index, error: replay.error });
    return false;
  });

  let state: BatchState = newState(inputs.length);
  let fellBack = false;
  for (let attempt = 1;; attempt++) {
    state = newState(inputs.length);
    for (const [index, customerId] of replayed) {
      state.outcomes[index] = { status: "REPLAYED", customerId };
    }
    for (const { index, error } of preFailures) failRow(state, user, inputs[index], index, error);
    try {
      await deps.db.sql.begin(async (tx) => {
        const setBased = pending.filter((row) => isSetBased(row.body));
        let oneByOne = pending.filter((row) => !isSetBased(row.body));
        if (setBased.length > 0) {
          try {
            await tx.savepoint((sp) => writeSetBased(sp, user, setBased, state));
          } catch (error) {
            if (isRetryable(error)) throw error;
            // Some row conflicts (or a concurrent import raced us): find it row by row.
            // writeSetBased records outcomes only once all its statements succeeded.
            fellBack = true;
            oneByOne = pending;
          }
        }
        for (const row of oneByOne) await writeOneByOne(tx, user, row, state);
        await insertSyncRecords(tx, state.failures);
      });
      break;
    } catch (error) {
      if (isRetryable(error) && attempt < ATTEMPTS) continue;
      // The transaction failed as a whole: none of its writes remain, so every command failed.
      logger.error("customer batch failed", {
        rows: inputs.length,
        error: error instanceof Error ? error.message : String(error),
      });
      state = newState(inputs.length);
      for (const [index, customerId] of replayed) {
        state.outcomes[index] = { status: "REPLAYED", customerId };
      }
      for (const { index, error: cause } of preFailures) {
        failRow(state, user, inputs[index], index, cause);
      }
      for (const row of pending) failRow(state, user, row.input, row.index, error);
      try {
        await insertSyncRecords(deps.db.sql, state.failures);
      } catch (writeError) {
        logger.error("could not record the failed syncs of a batch", {
          rows: state.failures.length,
          error: (writeError as Error).message,
        });
        state.failures = [];
      }
      break;
    }
  }

  if (state.staleCustomerIds.size > 0) {
    // Companies' data changed: cached details of their other customers show the old values.
    await deps.cache.invalidate(...[...state.staleCustomerIds].map(cacheKeys.customer));
  }
  recordMetrics(deps, pending, state);
  const outcomes = state.outcomes as BatchItemOutcome[];
  logger.info("customer batch written", {
    rows: inputs.length,
    created: outcomes.filter((outcome) => outcome.status === "CREATED").length,
    replayed: outcomes.filter((outcome) => outcome.status === "REPLAYED").length,
    failed: outcomes.filter((outcome) => outcome.status === "FAILED").length,
    rowByRow: fellBack,
  });
  return outcomes;
}

function newState(size: number): BatchState {
  return { outcomes: new Array(size), failures: [], staleCustomerIds: new Set() };
}

function recordMetrics(deps: CreateCustomerDeps, pending: PendingRow[], state: BatchState) {
  if (!deps.metrics) return;
  const created = new Map<string, number>();
  for (const row of pending) {
    if (state.outcomes[row.index]?.status !== "CREATED" || row.body.remoteId === undefined) {
      continue;
    }
    const source = customerSource(row.body);
    created.set(source, (created.get(source) ?? 0) + 1);
  }
  for (const [source, count] of created) deps.metrics.recordSyncOutcome(source, "SUCCESS", count);
  const failed = new Map<string, number>();
  for (const record of state.failures) {
    failed.set(record.source, (failed.get(record.source) ?? 0) + 1);
  }
  for (const [source, count] of failed) deps.metrics.recordSyncOutcome(source, "FAILED", count);
}
