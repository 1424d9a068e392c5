import { type Source, SOURCES } from "../../domain/shared/source.ts";
import type { Queryable } from "./database.ts";

/** Sync outcomes of one source: rows of the window by status, and the newest success. */
export interface SourceSyncHealth {
  source: Source;
  succeeded: number;
  failed: number;
  /** Newest SUCCESS row of the source, at any time; undefined when there is none. */
  lastSuccessAt?: Date;
}

/**
 * Sync health of every source over the last `windowSeconds`, from `external_system_sync` (HTTP
 * imports, `deno task sync-external` runs and manual creates alike). Each figure is one range
 * probe of idx_external_sync_source_status_synced (migration 0009), never a table scan.
 */
export async function readSyncHealth(
  sql: Queryable,
  windowSeconds: number,
): Promise<SourceSyncHealth[]> {
  const rows = await sql<
    { source: Source; succeeded: number; failed: number; last_success_at: Date | null }[]
  >`
    select s.source,
      (select count(*) from external_system_sync e
        where e.source = s.source and e.sync_status = 'SUCCESS'
          and e.synced_at > now() - make_interval(secs => ${windowSeconds}))::int as succeeded,
      (select count(*) from external_system_sync e
        where e.source = s.source and e.sync_status = 'FAILED'
          and e.synced_at > now() - make_interval(secs => ${windowSeconds}))::int as failed,
      (select max(e.synced_at) from external_system_sync e
        where e.source = s.source and e.sync_status = 'SUCCESS') as last_success_at
    from unnest(${[...SOURCES]}::text[]) as s(source)`;
  return rows.map((row) => ({
    source: row.source,
    succeeded: row.succeeded,
    failed: row.failed,
    lastSuccessAt: row.last_success_at ?? undefined,
  }));
}

/**
 * Seconds the replica's replayed state is behind now: 0 on a primary and on a replica that has
 * replayed everything it received (an idle primary writes nothing, which is no lag); undefined
 * before anything was replayed.
 */
export async function readReplicaLagSeconds(sql: Queryable): Promise<number | undefined> {
  const [row] = await sql<{ lag: number | null }[]>`
    select case
      when not pg_is_in_recovery() then 0
      when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
      else extract(epoch from now() - pg_last_xact_replay_timestamp())::float8
    end as lag`;
  return row.lag ?? undefined;
}
