import type { Queryable } from "./database.ts";

/** A held lease: release or renew it with its token. */
export interface ImportLease {
  operationUid: string;
  token: string;
}

/**
 * Takes the import lease of a user for `ttlSeconds`, or answers the seconds until the lease held
 * by another import lapses. One statement, so two instances cannot both win.
 */
export async function acquireImportLease(
  sql: Queryable,
  operationUid: string,
  ttlSeconds: number,
): Promise<{ lease: ImportLease } | { retryAfterSeconds: number }> {
  const token = crypto.randomUUID();
  const [taken] = await sql<{ token: string }[]>`
    insert into import_lease (operation_uid, token, expires_at)
    values (${operationUid}, ${token}, now() + make_interval(secs => ${ttlSeconds}))
    on conflict (operation_uid) do update
      set token = excluded.token, acquired_at = now(), expires_at = excluded.expires_at
      where import_lease.expires_at <= now()
    returning token`;
  if (taken?.token === token) return { lease: { operationUid, token } };
  const [held] = await sql<{ seconds: number }[]>`
    select greatest(1, ceil(extract(epoch from expires_at - now())))::int as seconds
    from import_lease where operation_uid = ${operationUid}`;
  return { retryAfterSeconds: held?.seconds ?? 1 };
}

/** Pushes the lease's expiry out while its import still runs. */
export async function renewImportLease(sql: Queryable, lease: ImportLease, ttlSeconds: number) {
  await sql`
    update import_lease set expires_at = now() + make_interval(secs => ${ttlSeconds})
    where operation_uid = ${lease.operationUid} and token = ${lease.token}`;
}

/** Ends the lease (only the holder's token can). */
export async function releaseImportLease(sql: Queryable, lease: ImportLease): Promise<void> {
  await sql`
    delete from import_lease
    where operation_uid = ${lease.operationUid} and token = ${lease.token}`;
}
