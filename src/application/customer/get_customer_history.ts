import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import {
  type CustomerHistoryEntry,
  historyEntryOf,
} from "../../domain/customer/customer_history.ts";
import {
  findCustomerDomain,
  listCustomerEvents,
} from "../../infrastructure/postgres/customer_history_repository.ts";
import { badCursor, decodeCursor, encodeCursor } from "../opaque_cursor.ts";
import { bindLogFields } from "../../shared/request_context.ts";
import { customerNotFound } from "./get_customer.ts";

/** A page of a customer's history, newest first; `nextCursor` is null on the last page. */
export interface CustomerHistoryPage {
  items: CustomerHistoryEntry[];
  nextCursor: string | null;
}

/** The event id a history cursor continues below; 400 when it is not this customer's. */
function historyPosition(value: string, customerId: number): number {
  const position = decodeCursor(value);
  const { c, e } = position ?? {};
  if (c !== customerId || !Number.isSafeInteger(e) || (e as number) < 1) {
    throw badCursor("not a cursor of this customer's history");
  }
  return e as number;
}

/**
 * The history of a visible customer (contract §10.7): its own events, its group membership
 * changes and merges that concern it, newest first, keyset-paginated.
 */
export async function getCustomerHistory(
  deps: { db: Database },
  command: { user: CurrentUser; id: number; cursor?: string; pageSize: number },
): Promise<CustomerHistoryPage> {
  const { user, id, pageSize } = command;
  BusinessDomainGuard.requireAny(user);
  bindLogFields({ customerId: id });
  const domain = await findCustomerDomain(deps.db.sql, id);
  if (domain === undefined) throw customerNotFound(id);
  BusinessDomainGuard.ensureVisible(user, domain, () => customerNotFound(id));
  const beforeEventId = command.cursor === undefined ? null : historyPosition(command.cursor, id);
  const events = await listCustomerEvents(deps.db.readSql, {
    customerId: id,
    beforeEventId,
    limit: pageSize + 1,
  });
  const page = events.slice(0, pageSize);
  const last = page.at(-1);
  return {
    items: page.map((event) => historyEntryOf(event, id)),
    nextCursor: events.length > pageSize && last ? encodeCursor({ c: id, e: last.id }) : null,
  };
}
