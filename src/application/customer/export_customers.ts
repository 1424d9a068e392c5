import type { Config } from "../../config.ts";
import type { Database } from "../../infrastructure/postgres/database.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { CustomerBatches } from "../../domain/customer/customer.ts";
import {
  keysetCustomerBatches,
  openCustomerBatches,
} from "../../infrastructure/postgres/customer_list_repository.ts";
import { AppError } from "../../shared/errors.ts";
import { customerFilter, type CustomerListFilters } from "./query_customers.ts";

/**
 * Rows per cursor fetch: as many as fit in 32 KiB, between 16 and 500. A fetch that spans several
 * socket reads leaves the process some 25 MiB larger after a long export than one that fits in one
 * (500 seeded rows, ~160 KB on the wire: peak 137 MiB; 128-200 rows: 110 MiB; ADR 0114).
 */
export const EXPORT_FETCH_SIZE = { bytes: 32 * 1024, minRows: 16, maxRows: 500 };

/** Seconds a client is told to wait when no export slot is free. */
const RETRY_AFTER_SECONDS = 10;

/** Exports in flight on this instance: in all, and by user (ADR 0112). */
interface ExportSlots {
  users: Set<string>;
  max: number;
}

const slotsByDatabase = new WeakMap<object, ExportSlots>();

function slotsOf(deps: { db: Database; config: Config }): ExportSlots {
  let slots = slotsByDatabase.get(deps.db);
  if (!slots) {
    // Each export holds a pool connection while it streams (not on the embedded database):
    // half the pool stays for the API whatever the exports do.
    const max = deps.db.kind === "embedded"
      ? Number.POSITIVE_INFINITY
      : Math.max(1, Math.floor(deps.config.databasePoolMax / 2));
    slotsByDatabase.set(deps.db, slots = { users: new Set(), max });
  }
  return slots;
}

function takeSlot(slots: ExportSlots, user: CurrentUser): () => void {
  const busy = slots.users.has(user.dingUserId)
    ? "an export of this user is still running"
    : slots.users.size >= slots.max
    ? `${slots.max} exports are running on this instance`
    : undefined;
  if (busy) {
    throw new AppError("RATE_LIMITED", `${busy}; retry in ${RETRY_AFTER_SECONDS} s`, {
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
    });
  }
  slots.users.add(user.dingUserId);
  let released = false;
  return () => {
    if (!released) slots.users.delete(user.dingUserId);
    released = true;
  };
}

/**
 * Every customer matching the filters and sort of GET /customers within the user's domains
 * (403 for a foreign domain filter), in batches; the caller must close() them. One export per
 * user at a time and at most half the pool per instance (429 RATE_LIMITED beyond).
 */
export async function exportCustomers(
  deps: { db: Database; config: Config },
  { user, ...filters }: { user: CurrentUser } & CustomerListFilters,
): Promise<CustomerBatches> {
  const filter = customerFilter(user, filters);
  const release = takeSlot(slotsOf(deps), user);
  try {
    // The embedded database has one connection: a cursor held open during the download would
    // stall every other request (ADR 0112).
    const batches = deps.db.kind === "embedded"
      ? keysetCustomerBatches(deps.db.readSql, filter, filters.sort, EXPORT_FETCH_SIZE)
      : await openCustomerBatches(deps.db.readSql, filter, filters.sort, EXPORT_FETCH_SIZE);
    return {
      next: () => batches.next(),
      async close() {
        try {
          await batches.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
