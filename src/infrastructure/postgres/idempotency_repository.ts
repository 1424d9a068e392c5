import type { IdempotentRequest, StoredAnswer } from "../../domain/idempotency/idempotency_key.ts";
import type { Queryable } from "./database.ts";

/** A key's row as a later request with the same key finds it. */
export interface IdempotencyRecord {
  method: string;
  path: string;
  fingerprint: string;
  status: "IN_PROGRESS" | "COMPLETED";
  answer?: StoredAnswer;
}

/**
 * Claims a key for a request: inserts it IN_PROGRESS, or takes over a row that has expired (any
 * request) or whose holder has not finished within `leaseSeconds` (the same request only: its
 * process died). Answers the lock token when claimed, undefined when another request holds the key
 * or already answered under it. The unique key makes Postgres pick one of concurrent claimers.
 */
export async function claimIdempotencyKey(
  sql: Queryable,
  request: IdempotentRequest,
  options: { ttlSeconds: number; leaseSeconds: number },
): Promise<string | undefined> {
  const token = crypto.randomUUID();
  const rows = await sql<{ lock_token: string }[]>`
    insert into idempotency_key as k (user_id, idempotency_key, method, path,
      request_fingerprint, status, lock_token, expires_at)
    values (${request.userId}, ${request.key}, ${request.method}, ${request.path},
      ${request.fingerprint}, 'IN_PROGRESS', ${token},
      now() + make_interval(secs => ${options.ttlSeconds}))
    on conflict (user_id, idempotency_key) do update set
      method = excluded.method, path = excluded.path,
      request_fingerprint = excluded.request_fingerprint, status = 'IN_PROGRESS',
      lock_token = excluded.lock_token, locked_at = now(), response_status = null,
      response_headers = null, response_body = null, expires_at = excluded.expires_at,
      created_at = now(), updated_at = now()
    where k.expires_at <= now()
      or (k.status = 'IN_PROGRESS'
        and k.locked_at < now() - make_interval(secs => ${options.leaseSeconds})
        and k.method = excluded.method and k.path = excluded.path
        and k.request_fingerprint = excluded.request_fingerprint)
    returning lock_token`;
  return rows[0]?.lock_token === token ? token : undefined;
}

/** The live (unexpired) row of a key, if any. */
export async function findIdempotencyKey(
  sql: Queryable,
  userId: string,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  const [row] = await sql<
    {
      method: string;
      path: string;
      request_fingerprint: string;
      status: "IN_PROGRESS" | "COMPLETED";
      response_status: number | null;
      response_headers: Record<string, string> | null;
      response_body: Uint8Array | null;
    }[]
  >`
    select method, path, request_fingerprint, status, response_status, response_headers,
      response_body
    from idempotency_key
    where user_id = ${userId} and idempotency_key = ${key} and expires_at > now()`;
  if (!row) return undefined;
  return {
    method: row.method,
    path: row.path,
    fingerprint: row.request_fingerprint,
    status: row.status,
    answer: row.status === "COMPLETED"
      ? {
        status: row.response_status!,
        headers: row.response_headers ?? {},
        body: new Uint8Array(row.response_body!),
      }
      : undefined,
  };
}

/** Stores the answer of the request holding `token`; false when it no longer holds the key. */
export async function completeIdempotencyKey(
  sql: Queryable,
  request: { userId: string; key: string; token: string },
  answer: StoredAnswer,
): Promise<boolean> {
  const rows = await sql`
    update idempotency_key set status = 'COMPLETED', response_status = ${answer.status},
      response_headers = ${sql.json(answer.headers)}, response_body = ${answer.body},
      updated_at = now()
    where user_id = ${request.userId} and idempotency_key = ${request.key}
      and lock_token = ${request.token} and status = 'IN_PROGRESS'
    returning 1`;
  return rows.length > 0;
}

/** Deletes the key the request holding `token` claimed, so the client may retry with it. */
export async function releaseIdempotencyKey(
  sql: Queryable,
  request: { userId: string; key: string; token: string },
): Promise<void> {
  await sql`
    delete from idempotency_key
    where user_id = ${request.userId} and idempotency_key = ${request.key}
      and lock_token = ${request.token}`;
}

/**
 * Deletes at most `limit` expired keys, oldest first; answers how many. Rows another instance's
 * purge is deleting are skipped, so concurrent purges do not wait on each other.
 */
export async function deleteExpiredIdempotencyKeys(
  sql: Queryable,
  limit: number,
): Promise<number> {
  const rows = await sql`
    delete from idempotency_key k using (
      select user_id, idempotency_key from idempotency_key
      where expires_at <= now()
      order by expires_at
      limit ${limit}
      for update skip locked
    ) expired
    where k.user_id = expired.user_id and k.idempotency_key = expired.idempotency_key
    returning 1`;
  return rows.length;
}
