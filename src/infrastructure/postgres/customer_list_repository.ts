import type { CustomerBatches, CustomerView } from "../../domain/customer/customer.ts";
import type { CustomerStatus } from "../../domain/customer/customer_status.ts";
import type { Source } from "../../domain/shared/source.ts";
import type { ListPosition } from "../../shared/list_cursor.ts";
import { likePattern } from "./company_repository.ts";
import { CUSTOMER_COLUMNS, type CustomerRow, toCustomerView } from "./customer_repository.ts";
import type { Queryable, Sql } from "./database.ts";
import { afterPosition, sliceNext, sortKeyText } from "./keyset.ts";

// Customer lists: filters, keyset pages, the keyword-search planner (ADRs 0007, 0063), counts
// and the export's batches. Single-customer reads and writes live in customer_repository.ts.

/** Filters of the customer list; `domains` is never empty (the guard decides it). */
export interface CustomerFilter {
  domains: string[];
  keyword?: string;
  status?: CustomerStatus;
  source?: Source;
  companyId?: number;
  groupId?: number;
}

/** Sort of the customer list; ties are broken by id in the same direction. */
export interface CustomerSort {
  field: "createdAt" | "customerName" | "customerCode";
  direction: "asc" | "desc";
}

const SORT_COLUMNS = {
  createdAt: "c.created_at",
  customerName: "c.customer_name",
  customerCode: "c.customer_code",
} as const;

/** Where a page of customers starts: OFFSET rows, or after a keyset position (a cursor). */
export interface CustomerPageStart {
  sort: CustomerSort;
  limit: number;
  offset: number;
  after?: ListPosition;
}

/** A page of customers and where the next one starts (null on the last page). */
export interface CustomerPageSlice {
  items: CustomerView[];
  next: ListPosition | null;
}

function sortKey(sql: Queryable, sort: CustomerSort) {
  return sortKeyText(
    sql,
    SORT_COLUMNS[sort.field],
    sort.field === "createdAt" ? "timestamp" : "text",
  );
}

/** Rows after the cursor's position in the sort order (`true` without a cursor). */
function keyset(sql: Queryable, page: CustomerPageStart) {
  return afterPosition(sql, {
    column: SORT_COLUMNS[page.sort.field],
    idColumn: "c.id",
    kind: page.sort.field === "createdAt" ? "timestamp" : "text",
    direction: page.sort.direction,
  }, page.after);
}

function toSlice(rows: (CustomerRow & { cursor_key: string })[], limit: number): CustomerPageSlice {
  const { rows: kept, next } = sliceNext(rows, limit);
  return { items: kept.map(toCustomerView), next };
}

/** Separates name and code in `search_key`: a keyword without it cannot match across both. */
const SEARCH_KEY_SEPARATOR = "\u001f";

/**
 * The keyword's condition. `indexed` adds, for a two-character keyword, the bigram containment
 * that lets its index collect candidates; a walk of a sort index checks LIKE alone.
 */
function keywordMatch(sql: Queryable, keyword: string | undefined, indexed = true) {
  if (!keyword) return sql`true`;
  const pattern = likePattern(keyword);
  // Postgres's ILIKE on UTF-8 is LIKE on `lower()` of both sides: on the pre-folded key the
  // answers are the same, from one trigram index and a cheaper recheck (ADR 0143).
  if (keyword.includes(SEARCH_KEY_SEPARATOR)) {
    return sql`(c.customer_name ilike ${pattern} or c.customer_code ilike ${pattern})`;
  }
  // Two characters make no trigram: their bigram is in the bigram index (migration 0010).
  if (indexed && [...keyword].length === 2) {
    return sql`customer_search_bigrams(c.search_key) @> customer_search_bigrams(lower(${keyword}))
      and c.search_key like lower(${pattern})`;
  }
  return sql`c.search_key like lower(${pattern})`;
}

function customerWhere(sql: Queryable, filter: CustomerFilter) {
  // One domain as an equality: Postgres takes `= any(array of one)` for a set, so it would not
  // read the (business_domain, [status,] created_at) indexes in order (ADR 0063).
  const parts = [
    filter.domains.length === 1
      ? sql`c.business_domain = ${filter.domains[0]}`
      : sql`c.business_domain = any(${filter.domains}::text[])`,
  ];
  if (filter.keyword) parts.push(keywordMatch(sql, filter.keyword));
  if (filter.status) parts.push(sql`c.status = ${filter.status}`);
  if (filter.source) parts.push(sql`c.source = ${filter.source}`);
  if (filter.companyId !== undefined) parts.push(sql`c.company_id = ${filter.companyId}`);
  if (filter.groupId !== undefined) {
    parts.push(sql`exists (select 1 from customer_group_member m
      where m.group_id = ${filter.groupId} and m.customer_id = c.id)`);
  }
  return parts.reduce((all, part) => sql`${all} and ${part}`);
}

/** One page of customers matching the filter. */
export async function queryCustomerPage(
  sql: Queryable,
  filter: CustomerFilter,
  page: CustomerPageStart,
): Promise<CustomerPageSlice> {
  const column = sql(SORT_COLUMNS[page.sort.field]);
  const direction = page.sort.direction === "desc" ? sql`desc` : sql`asc`;
  // One row more than the page tells whether a next page exists.
  const rows = await sql<(CustomerRow & { cursor_key: string })[]>`
    select ${sql.unsafe(CUSTOMER_COLUMNS)}, ${sortKey(sql, page.sort)} as cursor_key
    from customer c join company co on co.id = c.company_id
    where ${customerWhere(sql, filter)} and ${keyset(sql, page)}
    order by ${column} ${direction}, c.id ${direction}
    limit ${page.limit + 1} offset ${page.offset}`;
  return toSlice(rows, page.limit);
}

/** A page of customers and their capped count (`total` above `cap` means "more than cap"). */
export interface CustomerSearchResult extends CustomerPageSlice {
  total: number;
}

/** Tuning of {@link searchCustomers}; tests lower both to exercise every plan on little data. */
export interface CustomerSearchOptions {
  cap: number;
  /** Rows of the sort order a walk may read before falling back to sorting every match. */
  walkBudget?: (wanted: number) => number;
}

/** Rows a walk reads for `wanted` = offset + limit matches: density 0.5 % for page one. */
function defaultWalkBudget(wanted: number): number {
  return Math.min(20_000, Math.max(4_000, wanted * 200));
}

/**
 * A keyword page and its capped count, with the plan chosen by the count (ADR 0063). Postgres
 * cannot: it walks the sort index filtering ILIKE whenever it expects many matches, which reads
 * most of the table when they are few or clustered far from the start of the sort order.
 * 1. The trigram bitmap collects at most `cap + 1` matching ids (the count); at most `cap`: the
 *    page is sorted from those ids in the same statement.
 * 2. More: walk the sort index for at most a budget of rows (cheap when matches are common and
 *    spread, the usual reason for many matches).
 * 3. The walk did not fill the page: sort every match (cost in proportion to the matches).
 */
export async function searchCustomers(
  sql: Sql,
  filter: CustomerFilter,
  page: CustomerPageStart,
  options: CustomerSearchOptions,
): Promise<CustomerSearchResult> {
  return await sql.begin(async (tx) => {
    // Prepared statements switch to a generic plan after five runs, and a generic plan cannot
    // see that `ilike '%rare%'` wants the trigram index: it seq-scans (ADR 0007).
    await tx`set local plan_cache_mode = force_custom_plan`;
    // One row more than the page tells whether a next page exists; every plan below reads the
    // rows in the same order, so the extra row never changes the rows of the page.
    const { rows, total } = await searchWithCustomPlans(
      tx,
      filter,
      { ...page, limit: page.limit + 1 },
      options,
    );
    return { ...toSlice(rows, page.limit), total };
  });
}

type KeyedRow = CustomerRow & { cursor_key: string };

async function searchWithCustomPlans(
  sql: Queryable,
  filter: CustomerFilter,
  page: CustomerPageStart,
  options: CustomerSearchOptions,
): Promise<{ rows: KeyedRow[]; total: number }> {
  const column = sql(SORT_COLUMNS[page.sort.field]);
  const direction = page.sort.direction === "desc" ? sql`desc` : sql`asc`;
  const where = customerWhere(sql, filter);
  // The count is of the whole filter (the answer's `total`); only the page starts after the
  // cursor's position (ADR 0111).
  const after = keyset(sql, page);
  const counted = await sql<(KeyedRow & { total: number })[]>`
    with matches as materialized (
      select c.id from customer c where ${where} limit ${options.cap + 1}
    ), counted as (select count(*)::int as total from matches)
    select counted.total, found.* from counted left join lateral (
      select ${sql.unsafe(CUSTOMER_COLUMNS)}, ${sortKey(sql, page.sort)} as cursor_key
      from customer c join company co on co.id = c.company_id
      -- An id array, not a join: joined, the CTE's row estimate can make Postgres hash the
      -- whole customer table instead of probing its primary key (ADR 0007).
      where counted.total <= ${options.cap} and c.id = any(array(select id from matches))
        and ${after}
      order by ${column} ${direction}, c.id ${direction}
      limit ${page.limit} offset ${page.offset}
    ) found on true`;
  const total = counted[0].total;
  if (total <= options.cap) {
    return { rows: counted.filter((row) => row.id !== null), total };
  }
  const wanted = page.offset + page.limit;
  const budget = (options.walkBudget ?? defaultWalkBudget)(wanted);
  // The inner LIMIT bounds the rows read; its rows are the first of the sort order, so the
  // matches among them are the first matches.
  const walked = await sql<KeyedRow[]>`
    select ${sql.unsafe(CUSTOMER_COLUMNS)}, ${sortKey(sql, page.sort)} as cursor_key
    from (
      select c.* from customer c
      where ${customerWhere(sql, { ...filter, keyword: undefined })} and ${after}
      order by ${column} ${direction}, c.id ${direction}
      limit ${budget}
    ) c join company co on co.id = c.company_id
    where ${keywordMatch(sql, filter.keyword, false)}
    order by ${column} ${direction}, c.id ${direction}
    limit ${page.limit} offset ${page.offset}`;
  if (walked.length === page.limit) return { rows: walked, total };
  // Sorting inside a MATERIALIZED CTE keeps Postgres from walking the sort index again.
  const sorted = await sql<KeyedRow[]>`
    with matches as materialized (
      select c.id, ${column} as sort_key from customer c where ${where} and ${after}
    ), picked as (
      select id from matches order by sort_key ${direction}, id ${direction}
      limit ${page.limit} offset ${page.offset}
    )
    select ${sql.unsafe(CUSTOMER_COLUMNS)}, ${sortKey(sql, page.sort)} as cursor_key
    from customer c join company co on co.id = c.company_id
    where c.id = any(array(select id from picked))
    order by ${column} ${direction}, c.id ${direction}`;
  return { rows: sorted, total };
}

/**
 * How many customers match the filter, counting at most `cap + 1` rows: a count never scans more
 * than that, however common a keyword is on a million customers (ADR 0062). A result above
 * `cap` means "more than cap".
 */
export async function countCustomers(
  sql: Queryable,
  filter: CustomerFilter,
  cap: number,
): Promise<number> {
  const [row] = await sql<{ total: number }[]>`
    select count(*)::int as total from (
      select 1 from customer c where ${customerWhere(sql, filter)} limit ${cap + 1}
    ) matches`;
  return row.total;
}

/** Batches of customers read from a server-side cursor; close() ends the query. */

/**
 * Every customer of the filter in the sort order, `batchRows` at a time from a server-side
 * cursor (a portal read with Execute row limits): memory stays one batch whatever the count.
 * The connection is held in a read transaction until close() (ADR 0112).
 */
export async function openCustomerBatches(
  sql: Sql,
  filter: CustomerFilter,
  sort: CustomerSort,
  batchRows: number,
): Promise<CustomerBatches> {
  const column = sql(SORT_COLUMNS[sort.field]);
  const direction = sort.direction === "desc" ? sql`desc` : sql`asc`;
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const opened = Promise.withResolvers<AsyncIterator<CustomerRow[]>>();
  const transaction = sql.begin(async (tx) => {
    // A keyword plan made with the real keyword (ADR 0007). The portal stays open while the
    // client reads, so the pool's per-statement timeout would cut slow downloads: allow longer.
    await tx`set local plan_cache_mode = force_custom_plan`;
    await tx`set local statement_timeout = '30min'`;
    const query = tx<CustomerRow[]>`
      select ${sql.unsafe(CUSTOMER_COLUMNS)}
      from customer c join company co on co.id = c.company_id
      where ${customerWhere(tx, filter)}
      order by ${column} ${direction}, c.id ${direction}`;
    opened.resolve(query.cursor(batchRows)[Symbol.asyncIterator]());
    await released;
  }).catch((error) => opened.reject(error));
  const iterator = await opened.promise;
  let pending: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    async next() {
      if (closed) return null;
      const step = iterator.next();
      pending = step.catch(() => {});
      const { value, done } = await step;
      return done ? null : value.map(toCustomerView);
    },
    async close() {
      if (closed) return;
      closed = true;
      // return() closes the portal only between batches: a batch in flight is awaited first.
      await pending;
      await iterator.return?.();
      release();
      await transaction;
    },
  };
}

/**
 * The same batches read page by page by keyset, each in its own short statement: for the
 * embedded database, whose single connection a held-open cursor would take from every other
 * request for the whole download (ADR 0112). No snapshot, but no row that existed when the
 * export began is repeated or skipped.
 */
export function keysetCustomerBatches(
  sql: Queryable,
  filter: CustomerFilter,
  sort: CustomerSort,
  batchRows: number,
): CustomerBatches {
  let after: ListPosition | undefined;
  let done = false;
  return {
    async next() {
      if (done) return null;
      const slice = await queryCustomerPage(sql, filter, {
        sort,
        limit: batchRows,
        offset: 0,
        after,
      });
      if (slice.next) after = slice.next;
      else done = true;
      return slice.items.length > 0 ? slice.items : null;
    },
    close() {
      done = true;
      return Promise.resolve();
    },
  };
}
