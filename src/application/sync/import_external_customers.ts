import type { Cache } from "../../infrastructure/cache/cache.ts";
import type { Database } from "../../infrastructure/postgres/database.ts";
import type { Metrics } from "../../infrastructure/metrics/metrics.ts";
import type { MysqlPool } from "../../infrastructure/mysql/pool.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { CustomerImportService } from "../../domain/customer/customer_import_service.ts";
import { isBusinessDomain } from "../../domain/shared/business_domain.ts";
import type { Source } from "../../domain/shared/source.ts";
import {
  createExternalCustomerGateway,
  type ExternalCustomerFilter,
  type ExternalCustomerRow,
} from "../../infrastructure/mysql/external_customer_gateway.ts";
import {
  createRBCompanyGateway,
  type ExternalCompanyRow,
} from "../../infrastructure/mysql/rb_company_gateway.ts";
import {
  findSucceededCustomerIds,
  insertSyncRecords,
  type SyncRecordInput,
} from "../../infrastructure/postgres/external_sync_repository.ts";
import { AppError, type ErrorCode } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";
import { createCustomerBatch } from "../customer/create_customer_batch.ts";
import { failedSyncRow } from "../customer/customer_writes.ts";
import { BoundedSlots } from "../../shared/bounded_slots.ts";
import { withImportLease } from "./import_lease.ts";

/** The only source with an external database configured (contract section 7). */
export const IMPORTABLE_SOURCES = ["RB"] as const;

/** Most rows one HTTP import may touch; larger imports belong to `deno task sync-external`. */
export const MAX_HTTP_IMPORT_ROWS = 1000;

/** Rows per transaction of an import unless the caller says otherwise (ADR 0070). */
export const DEFAULT_BATCH_SIZE = 250;

/** The outcome of one source row (contract section 7). */
export interface ImportItem {
  remoteId: string;
  syncStatus: "SUCCESS" | "FAILED";
  customerId?: number;
  errorCode?: string;
}

/** The answer of an import: counts plus one item per row (ADR 0041). */
export interface ImportSummary {
  imported: number;
  skipped: number;
  failed: number;
  items: ImportItem[];
}

/** Where an import stands, reported after every page. */
export interface ImportProgress {
  done: number;
  total: number;
  imported: number;
  skipped: number;
  failed: number;
}

/** The command of importExternalCustomers. */
export interface ImportExternalCustomersCommand {
  user: CurrentUser;
  source: Source;
  remoteIds?: string[];
  updatedSince?: Date;
  /** More matching rows than this is 400 VALIDATION_FAILED (the HTTP limit). */
  maxRows?: number;
  /** Rows read from the source per page (one succeeded-lookup per page). */
  pageSize?: number;
  /** Rows written per transaction (ADR 0070). */
  batchSize?: number;
  /** Batch transactions in flight at once; keep below the Postgres pool size. */
  concurrency?: number;
  /** At most one import of this user in flight, across instances (HTTP: contract §10.3). */
  oneInFlightPerUser?: boolean;
  /** `failed` keeps only FAILED items (a million-row CLI run needs no SUCCESS list). */
  keepItems?: "all" | "failed";
  onProgress?: (progress: ImportProgress) => void;
}

/** Everything one import run reads and updates, passed to its steps. */
interface ImportRun {
  deps: { db: Database; cache: Cache; metrics?: Metrics };
  command: ImportExternalCustomersCommand;
  companyGateway: ReturnType<typeof createRBCompanyGateway>;
  summary: ImportSummary;
  /** Remote ids the source answered (the rest of `remoteIds` are recorded as not found). */
  seen: Set<string>;
  total: number;
  done: number;
  batchSize: number;
  slots: BoundedSlots;
  /** Pages are summed up in source order, each once all its batches are written. */
  summed: Promise<void>;
}

/**
 * Imports rows of the external source through createCustomerBatch (createCustomer's rules, in
 * shared transactions, ADR 0070): rows whose `(source, remoteId)` already succeeded are skipped,
 * rows of a domain the user lacks fail FORBIDDEN, every other row is created or fails with the
 * code HTTP would answer; a bad row never stops the import. Exactly one FAILED sync row is written
 * per failed row: by createCustomerBatch for rows it ran, here for rows refused before it.
 */
export async function importExternalCustomers(
  deps: { db: Database; cache: Cache; mysql?: MysqlPool; metrics?: Metrics },
  command: ImportExternalCustomersCommand,
): Promise<ImportSummary> {
  BusinessDomainGuard.requireAny(command.user);
  const mysql = requireImportableSource(deps, command.source);
  if (command.oneInFlightPerUser) {
    return await withImportLease(
      deps.db.sql,
      command.user,
      () => importExternalCustomers(deps, { ...command, oneInFlightPerUser: false }),
    );
  }
  const gateway = createExternalCustomerGateway(mysql);
  const filter: ExternalCustomerFilter = {
    remoteIds: command.remoteIds,
    updatedSince: command.updatedSince,
  };
  const total = await gateway.count(filter);
  if (command.maxRows !== undefined && total > command.maxRows) throw tooManyRows(command, total);

  const started = performance.now();
  const run: ImportRun = {
    deps,
    command,
    companyGateway: createRBCompanyGateway(mysql),
    summary: { imported: 0, skipped: 0, failed: 0, items: [] },
    seen: new Set(),
    total,
    done: 0,
    batchSize: command.batchSize ?? DEFAULT_BATCH_SIZE,
    // Batch transactions in flight across pages (ADR 0070): the next page's batches start as
    // soon as a slot frees, so one slow commit never idles the other connections.
    slots: new BoundedSlots(command.concurrency ?? 4),
    summed: Promise.resolve(),
  };
  const pages = gateway.pages(filter, { pageSize: command.pageSize ?? 500 });
  try {
    // Read the next page while this one is written: the source and Postgres work in parallel.
    let next = pages.next();
    while (!run.slots.failed) {
      const page = await next;
      if (page.done) break;
      next = pages.next();
      next.catch(() => {});
      await importPage(run, page.value);
    }
  } finally {
    await run.slots.drain();
    await run.summed;
    await pages.return(undefined);
  }
  if (run.slots.failed) throw run.slots.failure;

  const notFound = await recordMissingRemoteIds(run);
  logger.info("external import finished", {
    source: command.source,
    total,
    ...counts(run.summary),
    notFound,
    durationMs: Math.round(performance.now() - started),
  });
  return run.summary;
}

/** 400 for a source without an external database, 503 when the source is not configured. */
function requireImportableSource(deps: { mysql?: MysqlPool }, source: Source): MysqlPool {
  if (!(IMPORTABLE_SOURCES as readonly string[]).includes(source)) {
    const message = `no external source is configured for ${source}; only RB can be imported`;
    throw new AppError("VALIDATION_FAILED", message, { errors: [{ path: "source", message }] });
  }
  if (!deps.mysql) {
    throw new AppError(
      "EXTERNAL_SOURCE_NOT_CONFIGURED",
      "the external customer source is not configured (EXTERNAL_MYSQL_URL is unset)",
    );
  }
  return deps.mysql;
}

/** A row refused before it is created (ADR 0042): unknown domain, or one the user lacks. */
function refusalOf(user: CurrentUser, row: ExternalCustomerRow): AppError | undefined {
  const domain = row.businessDomain?.trim() ?? "";
  if (!isBusinessDomain(domain)) {
    // What POST /customers answers for this body: the schema rejects the domain before the guard.
    const message = `business_domain ${
      JSON.stringify(row.businessDomain)
    } is not a business domain`;
    return new AppError("VALIDATION_FAILED", message);
  }
  if (!BusinessDomainGuard.canSee(user, domain)) {
    const message = `business domain ${domain} is not granted to user ${user.dingUserId}`;
    return new AppError("FORBIDDEN", message);
  }
  return undefined;
}

function failedRecord(
  run: ImportRun,
  remoteId: string,
  businessDomain: string | null,
  error: AppError,
): SyncRecordInput {
  return failedSyncRow(
    run.command.user,
    { source: run.command.source, remoteId, businessDomain },
    error,
  );
}

/**
 * One page of source rows: earlier successes are listed (skipped), refused rows recorded in one
 * statement, the rest started as batches; the page is summed up once its batches are written.
 */
async function importPage(run: ImportRun, rows: ExternalCustomerRow[]): Promise<void> {
  const { deps, command } = run;
  for (const row of rows) run.seen.add(row.remoteId);
  const succeeded = await findSucceededCustomerIds(
    deps.db.sql,
    command.source,
    rows.map((row) => row.remoteId),
  );
  const items: ImportItem[] = new Array(rows.length);
  const pending: number[] = [];
  const refused: SyncRecordInput[] = [];
  rows.forEach((row, index) => {
    // Refusal first, as POST /customers guards the domain before its replay lookup: a row of a
    // domain the user lacks fails FORBIDDEN even when imported before, never leaking its id.
    const error = refusalOf(command.user, row);
    const customerId = succeeded.get(row.remoteId);
    if (!error && customerId !== undefined) {
      items[index] = { remoteId: row.remoteId, syncStatus: "SUCCESS", customerId };
      return;
    }
    if (!error) return void pending.push(index);
    const domain = isBusinessDomain(row.businessDomain?.trim() ?? "")
      ? row.businessDomain!.trim()
      : row.businessDomain;
    refused.push(failedRecord(run, row.remoteId, domain, error));
    items[index] = failedItem(row.remoteId, error.code);
  });
  const skippedBefore = rows.length - pending.length - refused.length;
  run.summary.skipped += skippedBefore;
  if (skippedBefore > 0) deps.metrics?.recordSyncOutcome(command.source, "SKIPPED", skippedBefore);
  if (refused.length > 0) {
    await insertSyncRecords(deps.db.sql, refused);
    deps.metrics?.recordSyncOutcome(command.source, "FAILED", refused.length);
  }
  // One read of rb_company per page, for the rows that will be created.
  const refIds = pending.map((index) => rows[index].companyRefId?.trim()).filter(Boolean);
  const companies = refIds.length > 0
    ? await run.companyGateway.findByRefIds(refIds as string[])
    : new Map<string, ExternalCompanyRow>();
  const pageDone: Promise<void>[] = [];
  for (let start = 0; start < pending.length; start += run.batchSize) {
    const batch = pending.slice(start, start + run.batchSize);
    const slot = await run.slots.start(async () => {
      const batchItems = await importBatch(run, batch.map((index) => rows[index]), companies);
      batch.forEach((index, n) => items[index] = batchItems[n]);
    });
    pageDone.push(slot.done);
  }
  run.summed = run.summed.then(() => Promise.all(pageDone)).then(() => {
    if (run.slots.failed) return;
    sumUpPage(run, items);
  });
}

/** Adds a written page's items to the summary and reports progress. */
function sumUpPage(run: ImportRun, items: ImportItem[]): void {
  const keepAll = run.command.keepItems !== "failed";
  for (const item of items) {
    if (item.syncStatus === "FAILED") run.summary.failed++;
    if (keepAll || item.syncStatus === "FAILED") run.summary.items.push(item);
  }
  run.done += items.length;
  run.command.onProgress?.({ done: run.done, total: run.total, ...counts(run.summary) });
}

/** Creates one batch of rows in shared transactions (ADR 0070) and answers their items. */
async function importBatch(
  run: ImportRun,
  rows: ExternalCustomerRow[],
  companies: Map<string, ExternalCompanyRow>,
): Promise<ImportItem[]> {
  const { deps, command, summary } = run;
  const inputs = rows.map((row) =>
    CustomerImportService.normalise(row, companies.get(row.companyRefId?.trim() ?? ""))
  );
  const outcomes = await createCustomerBatch(deps, {
    user: command.user,
    inputs,
    replaysChecked: true,
  });
  return outcomes.map((outcome, index) => {
    const remoteId = rows[index].remoteId;
    if (outcome.status === "FAILED") {
      // createCustomerBatch has already written the FAILED sync row of this attempt.
      if (outcome.unexpected) logger.error("external import row failed unexpectedly", { remoteId });
      return failedItem(remoteId, outcome.errorCode as ErrorCode);
    }
    if (outcome.status === "CREATED") summary.imported++;
    else {
      // A concurrent import of the same row won the race: it counts as skipped.
      summary.skipped++;
      deps.metrics?.recordSyncOutcome(command.source, "SKIPPED");
    }
    return { remoteId, syncStatus: "SUCCESS", customerId: outcome.customerId };
  });
}

/** Asked-for remote ids the source does not hold: FAILED NOT_FOUND, recorded in one statement. */
async function recordMissingRemoteIds(run: ImportRun): Promise<number> {
  const missing = [...new Set((run.command.remoteIds ?? []).filter((id) => !run.seen.has(id)))];
  if (missing.length === 0) return 0;
  const error = new AppError("NOT_FOUND", "the remote id is not in the external source");
  await insertSyncRecords(
    run.deps.db.sql,
    missing.map((id) => failedRecord(run, id, null, error)),
  );
  run.deps.metrics?.recordSyncOutcome(run.command.source, "FAILED", missing.length);
  for (const remoteId of missing) {
    run.summary.items.push({ remoteId, syncStatus: "FAILED", errorCode: error.code });
  }
  run.summary.failed += missing.length;
  return missing.length;
}

function failedItem(remoteId: string, errorCode: ErrorCode): ImportItem {
  return { remoteId, syncStatus: "FAILED", errorCode };
}

function counts(summary: ImportSummary) {
  return { imported: summary.imported, skipped: summary.skipped, failed: summary.failed };
}

function tooManyRows(command: ImportExternalCustomersCommand, total: number): AppError {
  const path = command.remoteIds ? "remoteIds" : "updatedSince";
  const message = `the import matches ${total} rows, more than ${command.maxRows} per request; ` +
    "narrow it with updatedSince or remoteIds, or run `deno task sync-external` for bulk imports";
  return new AppError("VALIDATION_FAILED", message, { errors: [{ path, message }] });
}
