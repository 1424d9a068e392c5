import { currentContext } from "../../shared/request_context.ts";
import type { Queryable } from "./database.ts";

/** Who made a change, as recorded on its event. */
export interface EventOperator {
  uid: string;
  name: string;
}

/** A domain event written in the same transaction as the change it records (outbox). */
export interface DomainEventInput {
  aggregateType: "Customer" | "CustomerGroup" | "Company";
  aggregateId: number;
  eventType: string;
  payload: Record<string, unknown>;
  /** Defaults to the authenticated user of the running request (contract §10.7). */
  operator?: EventOperator;
}

function operatorOf(event: DomainEventInput): { uid: string | null; name: string | null } {
  if (event.operator) return event.operator;
  const context = currentContext();
  return { uid: context?.dingUserId ?? null, name: context?.dingUserName ?? null };
}

/**
 * Appends a domain event with the request's trace id and the operator; call it with the write's
 * `tx`, after the aggregate's row is written: the event takes the aggregate's business domain.
 */
export async function appendDomainEvent(tx: Queryable, event: DomainEventInput): Promise<void> {
  await appendDomainEvents(tx, [event]);
}

/** Appends several events in one statement (a batch of creates), in the given order. */
export async function appendDomainEvents(tx: Queryable, events: DomainEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const operators = events.map(operatorOf);
  // Payloads travel as text and are cast on the server, so each becomes a JSON object, not a string.
  await tx`
    insert into domain_event (aggregate_type, aggregate_id, event_type, payload, trace_id,
      operation_uid, operation_name, business_domain)
    select t.aggregate_type, t.aggregate_id, t.event_type, t.payload,
      ${currentContext()?.traceId ?? null}, t.operation_uid, t.operation_name,
      case t.aggregate_type
        when 'Customer' then (select c.business_domain from customer c where c.id = t.aggregate_id)
        when 'CustomerGroup' then
          (select g.business_domain from customer_group g where g.id = t.aggregate_id)
      end
    from unnest(${events.map((event) => event.aggregateType)}::text[],
      ${events.map((event) => event.aggregateId)}::bigint[],
      ${events.map((event) => event.eventType)}::text[],
      ${events.map((event) => JSON.stringify(event.payload))}::text[]::jsonb[],
      ${operators.map((operator) => operator.uid) as string[]}::text[],
      ${operators.map((operator) => operator.name) as string[]}::text[])
      with ordinality as t(aggregate_type, aggregate_id, event_type, payload, operation_uid,
        operation_name, n)
    order by t.n`;
}
