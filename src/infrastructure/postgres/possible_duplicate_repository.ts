import type { CustomerView } from "../../domain/customer/customer.ts";
import { CUSTOMER_COLUMNS, type CustomerRow, toCustomerView } from "./customer_repository.ts";
import { type Queryable, readTransaction, type Sql } from "./database.ts";

/**
 * Live customers of a domain whose company holds the credit code (through the company's unique
 * credit-code index, then the customer's company index). Terminated and merged ones are left out.
 */
export async function findCustomersByCreditCode(
  sql: Queryable,
  query: { businessDomain: string; creditCode: string; limit: number },
): Promise<CustomerView[]> {
  const rows = await sql<CustomerRow[]>`
    select ${sql.unsafe(CUSTOMER_COLUMNS)}
    from company co join customer c on c.company_id = co.id
    where co.unified_social_credit_code = ${query.creditCode}
      and c.business_domain = ${query.businessDomain}
      and c.status <> 'TERMINATED' and c.merged_into_id is null
    order by c.id
    limit ${query.limit}`;
  return rows.map(toCustomerView);
}

/**
 * Live customers of a domain whose normalised name has a trigram similarity of at least
 * `minSimilarity` to `nameKey` (already normalised), best first. `%` with the threshold set for
 * the transaction lets Postgres answer from the domain's idx_customer_name_key_trgm_* index
 * (migration 0006), whose expression and partial predicate (`status <> 'TERMINATED'` and the
 * domain) the query repeats.
 */
export async function findCustomersWithSimilarName(
  sql: Sql,
  query: { businessDomain: string; nameKey: string; minSimilarity: number; limit: number },
): Promise<{ customer: CustomerView; similarity: number }[]> {
  return await readTransaction(sql, async (tx) => {
    // Local to the transaction, and sent with BEGIN and the query in one write (ADR 0145). Only a
    // custom plan sees the domain's value, which picks the domain's partial index. A parallel
    // worker costs more to start than the 1 000-2 000 candidates it would share.
    const settings = tx`select set_config('pg_trgm.similarity_threshold', ${
      String(query.minSimilarity)
    }, true), set_config('plan_cache_mode', 'force_custom_plan', true),
      set_config('max_parallel_workers_per_gather', '0', true)`.execute();
    const [, rows] = await Promise.all([
      settings,
      tx<(CustomerRow & { similarity: number })[]>`
        select ${tx.unsafe(CUSTOMER_COLUMNS)},
          -- The % operator already keeps only similarity >= the threshold (a float4 0.6 is above
          -- the double 0.6, so the boundary passes): no third similarity() per row in a filter.
          similarity(customer_name_key(c.customer_name), ${query.nameKey}) as similarity
        from customer c join company co on co.id = c.company_id
        where customer_name_key(c.customer_name) % ${query.nameKey}
          and c.status <> 'TERMINATED'
          and c.business_domain = ${query.businessDomain}
          and c.merged_into_id is null
        order by similarity desc, c.id
        limit ${query.limit}`,
    ]);
    return rows.map((row) => ({ customer: toCustomerView(row), similarity: row.similarity }));
  });
}
