import type { Source } from "../../domain/shared/source.ts";
import type { Queryable } from "./database.ts";
import type { ListPosition } from "../../shared/list_cursor.ts";
import { mapConstraintViolation } from "./errors.ts";
import { afterPosition, sliceNext, sortKeyText } from "./keyset.ts";

export type SyncEntityType = "CUSTOMER" | "COMPANY";
export type SyncStatus = "SUCCESS" | "FAILED";

/** One `external_system_sync` row to write. */
export interface SyncRecordInput {
  entityType: SyncEntityType;
  entityId: number | null;
  source: Source;
  remoteId: string;
  businessDomain: string | null;
  syncStatus: SyncStatus;
  errorCode?: string | null;
  errorMessage?: string | null;
  traceId?: string | null;
  operationUid?: string | null;
}

/** Writes one sync record (SUCCESS inside the create transaction, FAILED in its own). */
export async function insertSyncRecord(sql: Queryable, record: SyncRecordInput): Promise<number> {
  // A second SUCCESS of one (source, remoteId), a concurrent import, is CUSTOMER_DUPLICATED.
  const [row] = await sql<{ id: number }[]>`
    insert into external_system_sync (entity_type, entity_id, source, remote_id, business_domain,
      sync_status, error_code, error_message, trace_id, operation_uid)
    values (${record.entityType}, ${record.entityId}, ${record.source}, ${record.remoteId},
      ${record.businessDomain}, ${record.syncStatus}, ${record.errorCode ?? null},
      ${record.errorMessage?.slice(0, 2000) ?? null}, ${record.traceId ?? null},
      ${record.operationUid ?? null})
    returning id`.catch(mapConstraintViolation);
  return row.id;
}

/** Writes several sync records in one statement, in the given order (a batch of an import). */
export async function insertSyncRecords(sql: Queryable, records: SyncRecordInput[]): Promise<void> {
  if (records.length === 0) return;
  const column = <T>(pick: (record: SyncRecordInput) => T) => records.map(pick);
  await sql`
    insert into external_system_sync (entity_type, entity_id, source, remote_id, business_domain,
      sync_status, error_code, error_message, trace_id, operation_uid)
    select t.entity_type, t.entity_id, t.source, t.remote_id, t.business_domain, t.sync_status,
      t.error_code, t.error_message, t.trace_id, t.operation_uid
    from unnest(${column((r) => r.entityType)}::text[], ${column((r) => r.entityId)}::bigint[],
      ${column((r) => r.source)}::text[], ${column((r) => r.remoteId)}::text[],
      ${column((r) => r.businessDomain)}::text[], ${column((r) => r.syncStatus)}::text[],
      ${column((r) => r.errorCode ?? null)}::text[],
      ${column((r) => r.errorMessage?.slice(0, 2000) ?? null)}::text[],
      ${column((r) => r.traceId ?? null)}::text[], ${column((r) => r.operationUid ?? null)}::text[])
      with ordinality as t(entity_type, entity_id, source, remote_id, business_domain, sync_status,
        error_code, error_message, trace_id, operation_uid, n)
    order by t.n`.catch(mapConstraintViolation);
}

/** The entity id of an earlier SUCCESS for `(source, remoteId)`, if any. */
export async function findSuccessfulSync(
  sql: Queryable,
  key: { entityType: SyncEntityType; source: Source; remoteId: string },
): Promise<number | undefined> {
  const [row] = await sql<{ entity_id: number }[]>`
    select entity_id from external_system_sync
    where entity_type = ${key.entityType} and source = ${key.source}
      and remote_id = ${key.remoteId} and sync_status = 'SUCCESS'`;
  return row?.entity_id;
}

/** The customer ids of earlier successes, by remote id, for the given remote ids of a source. */
export async function findSucceededCustomerIds(
  sql: Queryable,
  source: Source,
  remoteIds: string[],
): Promise<Map<string, number>> {
  if (remoteIds.length === 0) return new Map();
  // One probe of ux_external_sync_success per id (the lateral limit keeps it a nested loop):
  // `remote_id = any(...)` let the planner scan every success of the source whenever its
  // statistics were stale, as they are during a bulk import (ADR 0070).
  const rows = await sql<{ remote_id: string; entity_id: number }[]>`
    select r.remote_id, s.entity_id
    from unnest(${remoteIds}::text[]) as r(remote_id)
    cross join lateral (
      select entity_id from external_system_sync
      where entity_type = 'CUSTOMER' and source = ${source} and remote_id = r.remote_id
        and sync_status = 'SUCCESS'
      limit 1) s`;
  return new Map(rows.map((row) => [row.remote_id, row.entity_id]));
}

/** One `external_system_sync` row as the API shows it. */
export interface SyncRecordView {
  id: number;
  entityType: SyncEntityType;
  entityId: number | null;
  source: Source;
  remoteId: string;
  businessDomain: string | null;
  syncStatus: SyncStatus;
  errorCode: string | null;
  errorMessage: string | null;
  traceId: string | null;
  operationUid: string | null;
  syncedAt: string;
}

/** Filters and visibility of listSyncRecords. */
export interface SyncRecordQuery {
  entityType?: SyncEntityType;
  entityId?: number;
  remoteId?: string;
  source?: Source;
  syncStatus?: SyncStatus;
  /** Rows of these domains are visible; `"all"` also shows rows of no or an unknown domain. */
  domains: string[] | "all";
}

/** Where a page of sync records starts and how it is ordered. */
export interface SyncRecordPage {
  /** `desc` (default): newest first. */
  direction?: "asc" | "desc";
  limit: number;
  offset: number;
  /** Start after this position of `synced_at, id` (a cursor) instead of at `offset`. */
  after?: ListPosition;
}

interface SyncRecordRow {
  id: number;
  entity_type: SyncEntityType;
  entity_id: number | null;
  source: Source;
  remote_id: string;
  business_domain: string | null;
  sync_status: SyncStatus;
  error_code: string | null;
  error_message: string | null;
  trace_id: string | null;
  operation_uid: string | null;
  synced_at: Date;
  cursor_key: string;
}

/** A page of sync records by `synced_at, id` (newest first by default) and where the next starts. */
export async function listSyncRecords(
  sql: Queryable,
  query: SyncRecordQuery & SyncRecordPage,
): Promise<{ items: SyncRecordView[]; next: ListPosition | null }> {
  const direction = query.direction === "asc" ? sql`asc` : sql`desc`;
  const after = afterPosition(sql, {
    column: "synced_at",
    idColumn: "id",
    kind: "timestamp",
    direction: query.direction ?? "desc",
  }, query.after);
  const rows = await sql<SyncRecordRow[]>`
    select id, entity_type, entity_id, source, remote_id, business_domain, sync_status,
      error_code, error_message, trace_id, operation_uid, synced_at,
      ${sortKeyText(sql, "synced_at", "timestamp")} as cursor_key
    from external_system_sync
    ${syncRecordConditions(sql, query)} and ${after}
    order by synced_at ${direction}, id ${direction}
    limit ${query.limit + 1} offset ${query.offset}`;
  const { rows: kept, next } = sliceNext(rows, query.limit);
  return {
    next,
    items: kept.map((row) => ({
      id: row.id,
      entityType: row.entity_type,
      entityId: row.entity_id,
      source: row.source,
      remoteId: row.remote_id,
      businessDomain: row.business_domain,
      syncStatus: row.sync_status,
      errorCode: row.error_code,
      errorMessage: row.error_message,
      traceId: row.trace_id,
      operationUid: row.operation_uid,
      syncedAt: row.synced_at.toISOString(),
    })),
  };
}

/**
 * How many sync records the query matches, counting at most `cap + 1` (ADR 0093): the table
 * grows with every import, and a window count over all of it on every page read it whole.
 */
export async function countSyncRecords(
  sql: Queryable,
  query: SyncRecordQuery,
  cap: number,
): Promise<number> {
  const [row] = await sql<{ total: number }[]>`
    select count(*)::int as total from (
      select 1 from external_system_sync ${syncRecordConditions(sql, query)} limit ${cap + 1}
    ) matches`;
  return row.total;
}

/** The where clause of a sync-record query: visibility first, then each given filter. */
function syncRecordConditions(sql: Queryable, query: SyncRecordQuery) {
  return sql`
    where true
      ${query.domains === "all" ? sql`` : sql`and business_domain = any(${query.domains})`}
      ${query.entityType ? sql`and entity_type = ${query.entityType}` : sql``}
      ${query.entityId !== undefined ? sql`and entity_id = ${query.entityId}` : sql``}
      ${query.remoteId !== undefined ? sql`and remote_id = ${query.remoteId}` : sql``}
      ${query.source ? sql`and source = ${query.source}` : sql``}
      ${query.syncStatus ? sql`and sync_status = ${query.syncStatus}` : sql``}`;
}

/**
 * Marks the pages an import wrote all-visible (ADR 0144): VACUUM without its index pass, which an
 * import of inserts does not need. Until then every index-only walk of the keyword search and the
 * counts read the table for each imported row: after 100 000 imported customers, `有限公司` took
 * 37-52 ms a search instead of 9-24 ms. Autovacuum would do it up to a minute later, and its
 * cleanup of the GIN indexes took seconds. It reads only the pages not yet all-visible (0.8 s after
 * 100 000 rows on 1.2 M customers). Not in a transaction: VACUUM cannot run in one.
 */
export async function vacuumAfterImport(sql: Queryable): Promise<void> {
  await sql`vacuum (index_cleanup off) customer, company, external_system_sync`;
}
