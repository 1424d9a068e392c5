import type { DeliveryStatus, Webhook, WebhookDelivery } from "../../domain/webhook/webhook.ts";
import type { ListPosition } from "../../shared/list_cursor.ts";
import type { Queryable } from "./database.ts";
import { sliceNext } from "./keyset.ts";

/**
 * Held shared by the relay's fan-out and exclusively by a webhook's creation, so no event with
 * an id above a new webhook's `start_event_id` can be fanned out before the webhook is visible.
 */
export const WEBHOOK_FANOUT_LOCK_KEY = 724_311_017;

interface WebhookRow {
  id: number;
  url: string;
  event_types: string[];
  business_domains: string[] | null;
  description: string | null;
  operation_uid: string;
  operation_name: string;
  created_at: Date;
  updated_at: Date;
}

function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types,
    businessDomains: row.business_domains,
    description: row.description,
    operationUid: row.operation_uid,
    operationName: row.operation_name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const WEBHOOK_COLUMNS = "id, url, event_types, business_domains, description, operation_uid, " +
  "operation_name, created_at, updated_at";

/** A new webhook's row. */
export interface NewWebhook {
  url: string;
  eventTypes: string[];
  businessDomains: string[] | null;
  description: string | null;
  secretCiphertext: Uint8Array;
  operator: { uid: string; name: string };
}

/** Inserts a webhook that receives the events written after it (call inside a transaction). */
export async function insertWebhook(tx: Queryable, webhook: NewWebhook): Promise<Webhook> {
  await tx`select pg_advisory_xact_lock(${WEBHOOK_FANOUT_LOCK_KEY})`;
  const [row] = await tx<WebhookRow[]>`
    insert into webhook (url, event_types, business_domains, description, secret_ciphertext,
      start_event_id, operation_uid, operation_name)
    values (${webhook.url}, ${webhook.eventTypes}::text[], ${webhook.businessDomains}::text[],
      ${webhook.description}, ${webhook.secretCiphertext},
      (select coalesce(max(id), 0) from domain_event), ${webhook.operator.uid},
      ${webhook.operator.name})
    returning ${tx.unsafe(WEBHOOK_COLUMNS)}`;
  return toWebhook(row);
}

/** A page of webhooks, oldest first, and their total. */
export async function listWebhooks(
  sql: Queryable,
  options: { limit: number; offset: number; after?: ListPosition },
): Promise<{ items: Webhook[]; total: number; next: ListPosition | null }> {
  const after = options.after ? sql`id > ${options.after.id}::bigint` : sql`true`;
  const [rows, [count]] = await Promise.all([
    sql<(WebhookRow & { cursor_key: string })[]>`
      select ${sql.unsafe(WEBHOOK_COLUMNS)}, id::text as cursor_key from webhook where ${after}
      order by id limit ${options.limit + 1} offset ${options.offset}`,
    sql<{ total: number }[]>`select count(*)::int as total from webhook`,
  ]);
  const { rows: kept, next } = sliceNext(rows, options.limit);
  return { items: kept.map(toWebhook), total: count.total, next };
}

export async function findWebhook(sql: Queryable, id: number): Promise<Webhook | undefined> {
  const [row] = await sql<WebhookRow[]>`
    select ${sql.unsafe(WEBHOOK_COLUMNS)} from webhook where id = ${id}`;
  return row ? toWebhook(row) : undefined;
}

/**
 * Deletes a webhook and its deliveries (call inside a transaction). Events that only waited for
 * this webhook become published. Answers false when it did not exist.
 */
export async function deleteWebhook(tx: Queryable, id: number): Promise<boolean> {
  const waiting = await tx<{ event_id: number }[]>`
    select event_id from webhook_delivery where webhook_id = ${id} and status <> 'DELIVERED'
    order by event_id`;
  const deleted = await tx`delete from webhook where id = ${id}`;
  if (deleted.count === 0) return false;
  const eventIds = waiting.map((row) => row.event_id);
  if (eventIds.length > 0) {
    // Same lock order as the relay's publishing step (event rows by id), so both see each other.
    await tx`select id from domain_event where id = any(${eventIds}::bigint[]) order by id for update`;
    await tx`
      update domain_event e set published_at = now()
      where e.id = any(${eventIds}::bigint[]) and e.published_at is null
        and not exists (select 1 from webhook_delivery d
          where d.event_id = e.id and d.status <> 'DELIVERED')`;
  }
  return true;
}

interface DeliveryRow {
  id: number;
  webhook_id: number;
  event_id: number;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_response_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === "PENDING" ? row.next_attempt_at.toISOString() : null,
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    lastResponseStatus: row.last_response_status,
    lastError: row.last_error,
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

const DELIVERY_COLUMNS = "d.id, d.webhook_id, d.event_id, e.event_type, d.status, d.attempts, " +
  "d.next_attempt_at, d.last_attempt_at, d.last_response_status, d.last_error, d.delivered_at, " +
  "d.created_at";

/** Up to `limit` deliveries of a webhook with ids below `beforeId`, newest first. */
export async function listDeliveries(
  sql: Queryable,
  options: { webhookId: number; status?: DeliveryStatus; beforeId: number | null; limit: number },
): Promise<WebhookDelivery[]> {
  const before = options.beforeId ?? Number.MAX_SAFE_INTEGER;
  const rows = await sql<DeliveryRow[]>`
    select ${sql.unsafe(DELIVERY_COLUMNS)}
    from webhook_delivery d join domain_event e on e.id = d.event_id
    where d.webhook_id = ${options.webhookId} and d.id < ${before}
      ${options.status ? sql`and d.status = ${options.status}` : sql``}
    order by d.id desc
    limit ${options.limit}`;
  return rows.map(toDelivery);
}

export async function findDelivery(
  sql: Queryable,
  webhookId: number,
  deliveryId: number,
): Promise<WebhookDelivery | undefined> {
  const [row] = await sql<DeliveryRow[]>`
    select ${sql.unsafe(DELIVERY_COLUMNS)}
    from webhook_delivery d join domain_event e on e.id = d.event_id
    where d.webhook_id = ${webhookId} and d.id = ${deliveryId}`;
  return row ? toDelivery(row) : undefined;
}

/** Puts a FAILED delivery back in the queue with fresh attempts; false unless it was FAILED. */
export async function requeueFailedDelivery(
  sql: Queryable,
  webhookId: number,
  deliveryId: number,
): Promise<boolean> {
  const updated = await sql`
    update webhook_delivery set status = 'PENDING', attempts = 0, next_attempt_at = now(),
      updated_at = now()
    where webhook_id = ${webhookId} and id = ${deliveryId} and status = 'FAILED'`;
  return updated.count > 0;
}
