import type { Config } from "../../config.ts";
import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { Source } from "../../domain/shared/source.ts";
import {
  countSyncRecords,
  listSyncRecords as listSyncRecordRows,
  type SyncEntityType,
  type SyncRecordView,
  type SyncStatus,
} from "../../infrastructure/postgres/external_sync_repository.ts";
import { listEnabledDomainCodes } from "../../infrastructure/postgres/role_mapping_repository.ts";
import type { Page } from "../shared/page.ts";
import { TOTAL_CAP } from "../customer/query_customers.ts";
import { pageAnswer, pageStart, type PagingInput } from "../shared/list_paging.ts";

/** The command of listSyncRecords. */
export interface ListSyncRecordsCommand extends PagingInput {
  user: CurrentUser;
  entityType?: SyncEntityType;
  entityId?: number;
  remoteId?: string;
  source?: Source;
  syncStatus?: SyncStatus;
  /** Order by sync time (ties by id); newest first unless `asc`. */
  direction?: "asc" | "desc";
}

/**
 * Sync records newest first (or oldest first), restricted to the user's domains. Rows with no or an unknown domain
 * (a FAILED import of a bad row, a remote id missing from the source) belong to no domain, so only
 * a user holding every enabled domain sees them (ADR 0043). `total` is capped as for customers.
 */
export async function listSyncRecords(
  deps: { db: Database; config: Config },
  command: ListSyncRecordsCommand,
): Promise<Page<SyncRecordView>> {
  const { user } = command;
  const visible = BusinessDomainGuard.visibleDomains(user);
  const scope = {
    list: "external-sync",
    filters: {
      entityType: command.entityType,
      entityId: command.entityId,
      remoteId: command.remoteId,
      source: command.source,
      syncStatus: command.syncStatus,
    },
    sort: command.direction === "asc" ? "createdAt" : "-createdAt",
  };
  const start = pageStart(deps.config, scope, command);
  const [{ items, next }, total] = await deps.db.read(async (sql) => {
    const enabled = await listEnabledDomainCodes(sql);
    const holdsAll = enabled.every((code) => visible.includes(code));
    const query = {
      entityType: command.entityType,
      entityId: command.entityId,
      remoteId: command.remoteId,
      source: command.source,
      syncStatus: command.syncStatus,
      domains: holdsAll ? "all" as const : visible,
    };
    return await Promise.all([
      listSyncRecordRows(sql, { ...query, direction: command.direction, ...start }),
      countSyncRecords(sql, query, TOTAL_CAP),
    ]);
  });
  return {
    items,
    ...pageAnswer(deps.config, scope, command, next),
    total: Math.min(total, TOTAL_CAP),
    totalIsCapped: total > TOTAL_CAP,
  };
}
