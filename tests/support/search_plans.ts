import type {
  CustomerSearchOptions,
  CustomerSort,
} from "../../src/infrastructure/postgres/customer_list_repository.ts";
import type { Sql } from "../../src/infrastructure/postgres/database.ts";

/** Every sort of the customer list, both directions. */
export const EVERY_SORT: CustomerSort[] = [
  { field: "createdAt", direction: "desc" },
  { field: "createdAt", direction: "asc" },
  { field: "customerName", direction: "asc" },
  { field: "customerName", direction: "desc" },
  { field: "customerCode", direction: "asc" },
  { field: "customerCode", direction: "desc" },
];

/**
 * Options that drive `searchCustomers` through each of its plans on a small fixture (ADR 0069):
 * every plan must answer the rows of the plain query.
 */
export const SEARCH_PLANS: Record<string, CustomerSearchOptions> = {
  "sparse: the walk fills the page": { cap: 1000 },
  "sparse: every match collected and sorted": { cap: 1000, walkBudget: () => 2 },
  "sparse: the collection overflows into the dense plan": {
    cap: 1,
    walkBudget: () => 2,
    collectLimit: () => 1,
  },
  "dense: within the cap": { cap: 1000, denseMatches: -1 },
  "dense: the walk fills the page": { cap: 1, denseMatches: -1 },
  "dense: the walk runs out, every match sorted": {
    cap: 1,
    denseMatches: -1,
    walkBudget: () => 2,
  },
};

/**
 * One company and `names.length * copies` customers for keyword tests: names repeated (ties broken
 * by id), codes `KS-001%y`/`KS-005_x` (LIKE's wildcards), the two domains alternating, and three
 * customers per microsecond of `created_at` (ties on the timestamp too).
 */
export async function insertKeywordFixture(sql: Sql, names: string[], copies: number) {
  const [company] = await sql<{ id: number }[]>`
    insert into company (company_code, company_name, source)
    values ('MN-KS', 'Keyword Co', 'MANUAL') returning id`;
  await sql`
    insert into customer (customer_code, customer_name, company_id, business_domain, status,
      source, operation_uid, operation_name, created_at)
    select 'KS-' || lpad(n::text, 3, '0') || case when n % 5 = 0 then '_x' else '%y' end,
      (${names}::text[])[1 + n % ${names.length}], ${company.id},
      case when n % 2 = 0 then 'COLD_CHAIN' else 'GENERAL_WAREHOUSING' end, 'ACTIVE',
      'MANUAL', 'test', 'Test',
      timestamptz '2026-01-01 00:00:00+00' + (n / 3) * interval '1 microsecond'
    from generate_series(1, ${names.length * copies}) as n`;
}
