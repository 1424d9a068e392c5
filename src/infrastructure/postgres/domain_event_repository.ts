import { currentContext } from "../../shared/request_context.ts";
import type { Queryable } from "./database.ts";

/** A domain event written in the same transaction as the change it records (outbox). */
export interface DomainEventInput {
  aggregateType: "Customer" | "CustomerGroup" | "Company";
  aggregateId: number;
  eventType: string;
  payload: Record<string, unknown>;
}

/** Appends a domain event with the request's trace id; call it with the write's `tx`. */
export async function appendDomainEvent(tx: Queryable, event: DomainEventInput): Promise<void> {
  await tx`
    insert into domain_event (aggregate_type, aggregate_id, event_type, payload, trace_id)
    values (${event.aggregateType}, ${event.aggregateId}, ${event.eventType},
      ${tx.json(event.payload as never)}, ${currentContext()?.traceId ?? null})`;
}

/** Appends several events in one statement (a batch of creates), all with the request's trace id. */
export async function appendDomainEvents(tx: Queryable, events: DomainEventInput[]): Promise<void> {
  if (events.length === 0) return;
  // Payloads travel as text and are cast on the server, so each becomes a JSON object, not a string.
  await tx`
    insert into domain_event (aggregate_type, aggregate_id, event_type, payload, trace_id)
    select t.aggregate_type, t.aggregate_id, t.event_type, t.payload,
      ${currentContext()?.traceId ?? null}
    from unnest(${events.map((event) => event.aggregateType)}::text[],
      ${events.map((event) => event.aggregateId)}::bigint[],
      ${events.map((event) => event.eventType)}::text[],
      ${events.map((event) => JSON.stringify(event.payload))}::text[]::jsonb[])
      with ordinality as t(aggregate_type, aggregate_id, event_type, payload, n)
    order by t.n`;
}
