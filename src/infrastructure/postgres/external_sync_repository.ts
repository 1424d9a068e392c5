import type { Source } from "../../domain/shared/source.ts";
import type { Queryable } from "./database.ts";

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
  const [row] = await sql<{ id: number }[]>`
    insert into external_system_sync (entity_type, entity_id, source, remote_id, business_domain,
      sync_status, error_code, error_message, trace_id, operation_uid)
    values (${record.entityType}, ${record.entityId}, ${record.source}, ${record.remoteId},
      ${record.businessDomain}, ${record.syncStatus}, ${record.errorCode ?? null},
      ${record.errorMessage?.slice(0, 2000) ?? null}, ${record.traceId ?? null},
      ${record.operationUid ?? null})
    returning id`;
  return row.id;
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

/** Which of the given remote ids already succeeded for the source (customers). */
export async function listSucceededRemoteIds(
  sql: Queryable,
  source: Source,
  remoteIds: string[],
): Promise<Set<string>> {
  if (remoteIds.length === 0) return new Set();
  const rows = await sql<{ remote_id: string }[]>`
    select remote_id from external_system_sync
    where entity_type = 'CUSTOMER' and source = ${source} and sync_status = 'SUCCESS'
      and remote_id = any(${remoteIds})`;
  return new Set(rows.map((row) => row.remote_id));
}
