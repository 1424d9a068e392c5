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
