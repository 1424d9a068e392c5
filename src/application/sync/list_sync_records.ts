import type { Dependencies } from "../../dependencies.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { Source } from "../../domain/shared/source.ts";
import {
  listSyncRecords as listSyncRecordRows,
  type SyncEntityType,
  type SyncRecordView,
  type SyncStatus,
} from "../../infrastructure/postgres/external_sync_repository.ts";
import { listEnabledDomainCodes } from "../../infrastructure/postgres/role_mapping_repository.ts";

/** The command of listSyncRecords. */
export interface ListSyncRecordsCommand {
  user: CurrentUser;
  entityType?: SyncEntityType;
  entityId?: number;
  remoteId?: string;
  source?: Source;
  syncStatus?: SyncStatus;
  /** Order by sync time (ties by id); newest first unless `asc`. */
  direction?: "asc" | "desc";
  page: number;
  pageSize: number;
}

/**
 * Sync records newest first (or oldest first), restricted to the user's domains. Rows with no or an unknown domain
 * (a FAILED import of a bad row, a remote id missing from the source) belong to no domain, so only
 * a user holding every enabled domain sees them (ADR 0043).
 */
export async function listSyncRecords(
  deps: Dependencies,
  command: ListSyncRecordsCommand,
): Promise<{ items: SyncRecordView[]; page: number; pageSize: number; total: number }> {
  const { user, page, pageSize } = command;
  const visible = BusinessDomainGuard.visibleDomains(user);
  const { items, total } = await deps.db.read(async (sql) => {
    const enabled = await listEnabledDomainCodes(sql);
    const holdsAll = enabled.every((code) => visible.includes(code));
    return await listSyncRecordRows(sql, {
      entityType: command.entityType,
      entityId: command.entityId,
      remoteId: command.remoteId,
      source: command.source,
      syncStatus: command.syncStatus,
      domains: holdsAll ? "all" : visible,
      direction: command.direction,
      page,
      pageSize,
    });
  });
  return { items, page, pageSize, total };
}
