import type { Queryable, Sql } from "./database.ts";
import { WEBHOOK_FANOUT_LOCK_KEY } from "./webhook_repository.ts";

/**
 * Claims up to `limit` events not yet fanned out (FOR UPDATE SKIP LOCKED, so instances take
 * different ones), records one PENDING delivery per matching webhook and marks them dispatched;
 * an event no webhook matches is published at once. Answers how many events it handled.
 */
export async function fanOutEvents(sql: Sql, limit: number): Promise<number> {
  return await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock_shared(${WEBHOOK_FANOUT_LOCK_KEY})`;
    const claimed = await tx<{ id: number }[]>`
      select id from domain_event where dispatched_at is null
      order by id limit ${limit} for update skip locked`;
    if (claimed.length === 0) return 0;
    const ids = claimed.map((row) => row.id);
    const matched = await tx<{ event_id: number }[]>`
      insert into webhook_delivery (webhook_id, event_id)
      select w.id, e.id
      from domain_event e join webhook w
        on e.event_type = any(w.event_types)
        and (w.business_domains is null or e.business_domain = any(w.business_domains))
        and e.id > w.start_event_id
      where e.id = any(${ids}::bigint[])
      order by e.id, w.id
      on conflict (webhook_id, event_id) do nothing
      returning event_id`;
    const withDeliveries = [...new Set(matched.map((row) => row.event_id))];
    await tx`
      update domain_event set dispatched_at = now(),
        published_at = case when id = any(${withDeliveries}::bigint[]) then null else now() end
      where id = any(${ids}::bigint[])`;
    return ids.length;
  });
}

/** A webhook a relay holds the lease of, with what it needs to send. */
export interface ClaimedWebhook {
  id: number;
  url: string;
  secretCiphertext: Uint8Array<ArrayBuffer>;
}

/**
 * Leases up to `limit` webhooks whose oldest pending delivery is due and that no live lease
 * holds. One holder per webhook keeps its deliveries in event order and sent once.
 */
export async function claimWebhooks(
  sql: Queryable,
  options: { owner: string; leaseMs: number; limit: number },
): Promise<ClaimedWebhook[]> {
  const rows = await sql<{ id: number; url: string; secret_ciphertext: Uint8Array }[]>`
    update webhook w set lease_owner = ${options.owner},
      lease_until = now() + ${options.leaseMs} * interval '1 millisecond'
    where w.id in (
      select c.id from webhook c
      where (c.lease_until is null or c.lease_until < now())
        and (select d.next_attempt_at from webhook_delivery d
          where d.webhook_id = c.id and d.status = 'PENDING'
          order by d.event_id limit 1) <= now()
      order by c.lease_until nulls first, c.id
      limit ${options.limit}
      for update skip locked)
    returning w.id, w.url, w.secret_ciphertext`;
  return rows.map((row) => ({
    id: row.id,
    url: row.url,
    secretCiphertext: new Uint8Array(row.secret_ciphertext),
  }));
}

/** Gives a webhook's lease back (only if this owner still holds it). */
export async function releaseWebhook(sql: Queryable, id: number, owner: string): Promise<void> {
  await sql`
    update webhook set lease_owner = null, lease_until = null
    where id = ${id} and lease_owner = ${owner}`;
}

/** A pending delivery with the event it carries. */
export interface PendingDelivery {
  id: number;
  attempts: number;
  event: {
    id: number;
    eventType: string;
    aggregateType: string;
    aggregateId: number;
    businessDomain: string | null;
    occurredAt: string;
    payload: Record<string, unknown>;
  };
}

/** The oldest `limit` pending deliveries of a webhook, in event (write) order. */
export async function pendingDeliveries(
  sql: Queryable,
  webhookId: number,
  limit: number,
): Promise<PendingDelivery[]> {
  const rows = await sql<
    {
      id: number;
      attempts: number;
      event_id: number;
      event_type: string;
      aggregate_type: string;
      aggregate_id: number;
      business_domain: string | null;
      occurred_at: Date;
      payload: Record<string, unknown>;
    }[]
  >`
    select d.id, d.attempts, e.id as event_id, e.event_type, e.aggregate_type, e.aggregate_id,
      e.business_domain, e.occurred_at, e.payload
    from webhook_delivery d join domain_event e on e.id = d.event_id
    where d.webhook_id = ${webhookId} and d.status = 'PENDING'
    order by d.event_id
    limit ${limit}`;
  return rows.map((row) => ({
    id: row.id,
    attempts: row.attempts,
    event: {
      id: row.event_id,
      eventType: row.event_type,
      aggregateType: row.aggregate_type,
      aggregateId: row.aggregate_id,
      businessDomain: row.business_domain,
      occurredAt: row.occurred_at.toISOString(),
      payload: row.payload,
    },
  }));
}

/**
 * Records a delivered attempt and publishes the event once every webhook it matched has it. The
 * event row is locked first, so two relays finishing its last two deliveries see each other.
 */
export async function recordDelivered(
  sql: Sql,
  delivery: { id: number; eventId: number; responseStatus: number },
): Promise<void> {
  // Sent together (postgres.js pipelines a transaction's queries in order): one round trip.
  await sql.begin((tx) => [
    // Not waiting for the WAL flush: should the database crash before it, the delivery is sent
    // again (at least once holds), and each delivery saves a disk flush (ADR 0120).
    tx`set local synchronous_commit = off`,
    tx`
      update webhook_delivery set status = 'DELIVERED', attempts = attempts + 1,
        last_attempt_at = now(), delivered_at = now(), last_response_status = ${delivery.responseStatus},
        last_error = null, updated_at = now()
      where id = ${delivery.id} and status = 'PENDING'`,
    tx`select id from domain_event where id = ${delivery.eventId} for update`,
    // A new statement, so it sees a delivery another relay committed while this one waited.
    tx`
      update domain_event e set published_at = now()
      where e.id = ${delivery.eventId} and e.published_at is null
        and not exists (select 1 from webhook_delivery d
          where d.event_id = e.id and d.status <> 'DELIVERED')`,
  ]);
}

/** Records a failed attempt: retried after `retryInMs`, or FAILED when `final`. */
export async function recordFailedAttempt(
  sql: Queryable,
  delivery: {
    id: number;
    responseStatus: number | null;
    error: string;
    final: boolean;
    retryInMs: number;
  },
): Promise<void> {
  await sql`
    update webhook_delivery set attempts = attempts + 1, last_attempt_at = now(),
      last_response_status = ${delivery.responseStatus}, last_error = ${
    delivery.error.slice(0, 500)
  },
      status = ${delivery.final ? "FAILED" : "PENDING"},
      next_attempt_at = now() + ${delivery.retryInMs} * interval '1 millisecond',
      updated_at = now()
    where id = ${delivery.id} and status = 'PENDING'`;
}

/**
 * Seconds since the oldest event a webhook still waits for: not yet fanned out, or with a
 * delivery not yet DELIVERED (0 when none).
 */
export async function relayLagSeconds(sql: Queryable): Promise<number> {
  const [row] = await sql<{ lag: number | null }[]>`
    select extract(epoch from now() - occurred_at)::float8 as lag
    from domain_event
    where id = least(
      (select id from domain_event where dispatched_at is null order by id limit 1),
      (select event_id from webhook_delivery where status <> 'DELIVERED' order by event_id limit 1))`;
  return Math.max(0, row?.lag ?? 0);
}
