import type { Dependencies } from "../../dependencies.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import {
  type CustomerBatches,
  keysetCustomerBatches,
  openCustomerBatches,
} from "../../infrastructure/postgres/customer_repository.ts";
import { customerFilter, type CustomerListFilters } from "./query_customers.ts";

/** Rows per server-side cursor fetch: big enough to amortise round trips, small in memory. */
export const EXPORT_BATCH_ROWS = 500;

/**
 * Every customer matching the filters and sort of GET /customers within the user's domains
 * (403 for a foreign domain filter), in batches; the caller must close() them.
 */
export async function exportCustomers(
  deps: Pick<Dependencies, "db">,
  { user, ...filters }: { user: CurrentUser } & CustomerListFilters,
): Promise<CustomerBatches> {
  const filter = customerFilter(user, filters);
  // The embedded database has one connection: a cursor held open during the download would
  // stall every other request (ADR 0112).
  return deps.db.kind === "embedded"
    ? keysetCustomerBatches(deps.db.readSql, filter, filters.sort, EXPORT_BATCH_ROWS)
    : await openCustomerBatches(deps.db.readSql, filter, filters.sort, EXPORT_BATCH_ROWS);
}
