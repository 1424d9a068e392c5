import type { CustomerBatches, CustomerView } from "../../domain/customer/customer.ts";
import type { CustomerStatus } from "../../domain/customer/customer_status.ts";
import type { Source } from "../../domain/shared/source.ts";
import type { ListPosition } from "../../shared/list_cursor.ts";
import { likePattern } from "./company_repository.ts";
import { CUSTOMER_COLUMNS, type CustomerRow, toCustomerView } from "./customer_repository.ts";
import { type Queryable, readTransaction, type Sql } from "./database.ts";
import { type FetchSize, fetchSizer } from "./fetch_size.ts";
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
 * How the keyword is matched. `like`: LIKE on the pre-folded key (the trigram index serves 3+
 * characters). `bigram` and `digits`: the same LIKE behind grams of the keyword, so that the
 * grams index collects the candidates of a 2-character keyword, or of one holding 4 digits in a
 * row (whose trigrams are in most codes). `ilike`: a keyword holding the key's separator, on both
 * columns.
 */
type KeywordForm = "like" | "bigram" | "digits" | "ilike";

function keywordForm(keyword: string, grams: boolean): KeywordForm {
  if (keyword.includes(SEARCH_KEY_SEPARATOR)) return "ilike";
  if (!grams) return "like";
  if ([...keyword].length === 2) return "bigram";
  // A letter makes selective trigrams even beside digits (`mn-` in `MN-0000`); digits alone do
  // not: `0000` is in most codes, and its trigram `000` in all of them.
  return /[0-9]{4}/.test(keyword) && !hasLetter(keyword) ? "digits" : "like";
}

function hasLetter(keyword: string): boolean {
  return [...keyword].some((char) => char.toLowerCase() !== char.toUpperCase());
}

/**
 * The keyword's condition. `grams` is for the statements that collect candidates from an index
 * (the count and the sort of every match); a walk of a sort index checks LIKE alone.
 */
function keywordMatch(
  sql: Queryable,
  filter: Pick<CustomerFilter, "keyword" | "domains">,
  grams = false,
) {
  const keyword = filter.keyword;
  if (!keyword) return sql`true`;
  const pattern = likePattern(keyword);
  // Postgres's ILIKE on UTF-8 is LIKE on `lower()` of both sides: on the pre-folded key the
  // answers are the same, from one index and a cheaper recheck (ADR 0069).
  const form = keywordForm(keyword, grams);
  switch (form) {
    case "ilike":
      return sql`(c.customer_name ilike ${pattern} or c.customer_code ilike ${pattern})`;
    case "like":
      return sql`c.search_key like lower(${pattern})`;
    case "bigram":
    case "digits": {
      const wanted = form === "bigram"
        ? sql`customer_search_bigrams(lower(${keyword}))`
        : sql`customer_search_digit_grams(lower(${keyword}))`;
      const domain = domainToken(sql, filter.domains);
      // `|| ''` keeps the trigram index out: ANDed with the grams it added 100 000 candidates'
      // worth of bitmap for `mn-0000` and made every row recheck the grams (ADR 0069).
      return sql`${sql.unsafe(SEARCH_GRAMS)} @> (${wanted} || ${domain})
        and (c.search_key || '') like lower(${pattern})`;
    }
  }
}

/** The grams index's expression (migrations 0010, 0013), written so that Postgres matches it. */
const SEARCH_GRAMS = "customer_search_grams(c.search_key, c.business_domain, c.created_at)";

/**
 * True when every customer matching the keyword has a non-ASCII character in its key: the
 * keyword holds a caseless non-ASCII character (Chinese, say), which no lowercasing changes.
 * Their name order is then a partial index that skips the Latin names (migration 0010).
 */
function onlyNonAsciiMatch(keyword: string | undefined): boolean {
  if (!keyword || keyword.includes(SEARCH_KEY_SEPARATOR)) return false;
  return [...keyword].some((char) =>
    char.codePointAt(0)! > 0x7f && char.toLowerCase() === char && char.toUpperCase() === char
  );
}

/** The domains with an infix trigram index of their own (migration 0012). */
const DOMAINS_WITH_SEARCH_INDEX = new Set([
  "GENERAL_WAREHOUSING",
  "COLD_CHAIN",
  "BONDED_WAREHOUSING",
  "CROSS_BORDER",
]);

/** The infix trigram indexes of the domains (migration 0012), whose sizes order a count's arms. */
const INFIX_INDEX_PREFIX = "idx_customer_search_infix_";
const INFIX_INDEXES = [...DOMAINS_WITH_SEARCH_INDEX].map((domain) =>
  INFIX_INDEX_PREFIX + domain.toLowerCase()
);
/** Where the domain starts in an infix index's name (1-based, for `substr`). */
const INFIX_DOMAIN_START = INFIX_INDEX_PREFIX.length + 1;

/**
 * The key without the first character of the folded name and of the folded code, written as the
 * expression of the infix trigram indexes (migration 0012), so that Postgres matches them.
 */
const INFIX_KEY =
  "(substr(lower(c.customer_name), 2) || chr(31) || substr(lower(c.customer_code), 2))";

/**
 * True when the statements that collect candidates split the matches by where the keyword
 * starts (ADR 0116): a keyword of 3 or more characters (the infix part needs a trigram) without
 * the key's separator, matched by LIKE or behind its digit grams.
 */
function splitsByPosition(keyword: string | undefined): keyword is string {
  if (!keyword || [...keyword].length < 3) return false;
  const form = keywordForm(keyword, true);
  return form === "like" || form === "digits";
}

/**
 * True when the infix part of a split search can take its candidates from one domain's own
 * trigram index: a one-domain filter whose domain has one, and a keyword matched by LIKE (the
 * digit grams carry the domain's token).
 */
function searchesOneDomainIndex(filter: CustomerFilter): boolean {
  return filter.domains.length === 1 && DOMAINS_WITH_SEARCH_INDEX.has(filter.domains[0]) &&
    splitsByPosition(filter.keyword) && keywordForm(filter.keyword, true) === "like";
}

/** The domain filter as an index condition. */
function inDomains(sql: Queryable, domains: string[]) {
  // One domain as an equality: Postgres takes `= any(array of one)` for a set, so it would not
  // read the (business_domain, [status,] created_at) indexes in order (ADR 0063).
  return domains.length === 1
    ? sql`c.business_domain = ${domains[0]}`
    : sql`c.business_domain = any(${domains}::text[])`;
}

function customerWhere(sql: Queryable, filter: CustomerFilter, grams = false) {
  const parts = [
    grams && filter.keyword
      // Candidates come from the keyword's index. Through an index of the domain, Postgres would
      // add a bitmap of every customer of the domain, or walk it filtering the keyword (89 600
      // entries for `Harbor`'s first 1 001 cold-chain matches); the grams index narrows to the
      // domain itself (its token, migration 0010).
      ? sql`(c.business_domain || '') = any(${filter.domains}::text[])`
      : inDomains(sql, filter.domains),
  ];
  if (filter.keyword) parts.push(keywordMatch(sql, filter, grams));
  return [...parts, ...otherFilters(sql, filter)].reduce((all, part) => sql`${all} and ${part}`);
}

/** A piece of a statement. */
type Fragment = ReturnType<typeof inDomains>;

/** The filters other than the domains and the keyword. */
function otherFilters(sql: Queryable, filter: CustomerFilter) {
  const parts = [];
  if (filter.status) parts.push(sql`c.status = ${filter.status}`);
  if (filter.source) parts.push(sql`c.source = ${filter.source}`);
  if (filter.companyId !== undefined) parts.push(sql`c.company_id = ${filter.companyId}`);
  if (filter.groupId !== undefined) {
    parts.push(sql`exists (select 1 from customer_group_member m
      where m.group_id = ${filter.groupId} and m.customer_id = c.id)`);
  }
  return parts;
}

/** The other filters, each after an `and`, to follow a condition (nothing without them). */
function andOtherFilters(sql: Queryable, filter: CustomerFilter) {
  return otherFilters(sql, filter).reduce((all, part) => sql`${all} and ${part}`, sql``);
}

/** A one-domain user's token in the grams index (migration 0010), or no token. */
function domainToken(sql: Queryable, domains: string[]) {
  return domains.length === 1 ? sql`array[chr(1) || ${domains[0]}]` : sql`'{}'::text[]`;
}

/**
 * The customers matching a keyword that {@link splitsByPosition}, as three disjoint arms by where
 * the keyword starts (ADR 0116; the key is `lower(name) || US || lower(code)`, migration 0010):
 * - at the start of the name: a range of `idx_customer_search_name_prefix`, read index-only with
 *   every sort key;
 * - at the start of the code, and not of the name: a range of `idx_customer_search_code_prefix`;
 * - further inside the name or the code, and at the start of neither: from the infix trigram
 *   indexes (or the digit grams), checked on the table.
 * A keyword without the separator is in the key exactly when it is in one of the three. Each arm
 * selects `columns`; `domains` overrides the filter's (a count's arm per domain).
 */
function keywordArms(
  sql: Queryable,
  filter: CustomerFilter & { keyword: string },
  columns: Fragment,
  domains = filter.domains,
): Fragment[] {
  const inner = { ...filter, domains };
  // Folded once per statement: under a generic plan `lower($n)` is not a constant, and would be
  // evaluated again for every row a filter tests.
  const fold = (value: string) => sql`(select lower(${value}))`;
  // Prefixes as explicit ranges of the pattern operators, which a generic plan reads from the
  // prefix indexes as well (`LIKE 'k%'` and `starts_with()` make ranges only from constants).
  // Every value starting with P sorts before P followed by 700 U+10FFFF: a key holds the
  // separator within the 401 characters after a name's prefix (names have at most 200, folded at
  // most 400), and a folded code fits in a b-tree entry (2 704 bytes, under 700 such characters).
  const folded = fold(filter.keyword);
  const startsWith = (value: Fragment) =>
    sql`${value} ~>=~ ${folded} and ${value} ~<~ (${folded} || repeat(chr(1114111), 700))`;
  const namePrefix = startsWith(sql`c.search_key`);
  const codePrefix = startsWith(sql`lower(c.customer_code)`);
  const others = andOtherFilters(sql, filter);
  const infix = keywordForm(filter.keyword, true) === "digits"
    // The digit grams (migration 0010) narrow better than digit trigrams; they index the whole
    // key, and the two conditions after them keep the rest.
    ? customerWhere(sql, inner, true)
    : sql`${
      searchesOneDomainIndex(inner)
        // A literal (one of DOMAINS_WITH_SEARCH_INDEX): a generic plan proves the partial
        // index's predicate from constants only.
        ? sql.unsafe(`c.business_domain = '${domains[0]}'`)
        : sql`(c.business_domain || '') = any(${domains}::text[])`
    } and ${sql.unsafe(INFIX_KEY)} like ${fold(likePattern(filter.keyword))} ${others}`;
  return [
    sql`select ${columns} from customer c where ${inDomains(sql, domains)}
      and ${namePrefix} ${others}`,
    // The stored key starts with the folded name: cheaper to test than to fold the name again.
    sql`select ${columns} from customer c where ${inDomains(sql, domains)}
      and ${codePrefix} and not starts_with(c.search_key, ${folded}) ${others}`,
    sql`select ${columns} from customer c where ${infix}
      and not starts_with(c.search_key, ${folded})
      and not starts_with(lower(c.customer_code), ${folded})`,
  ];
}

/** The plan mode of each search transaction's last statement (ADR 0116). */
const planModes = new WeakMap<Queryable, "custom" | "generic">();

/**
 * `sql`, after switching a search transaction to generic plans for the statements of a split
 * search (ADR 0116: one plan whatever the keyword, and planning their arms cost more than running
 * them) or back to custom plans for the others (ADR 0007). The setting is sent only when the mode
 * changes, in the same write as the statement built next.
 */
function planned(sql: Queryable, generic: boolean): Queryable {
  const current = planModes.get(sql);
  const mode = generic ? "generic" : "custom";
  if (current === undefined || current === mode) return sql;
  planModes.set(sql, mode);
  settle(
    sql`select set_config('plan_cache_mode', ${
      generic ? "force_generic_plan" : "force_custom_plan"
    }, true)`.execute(),
  );
  return sql;
}

/** A setting's failure fails the transaction, and so the statement that follows it. */
function settle(query: Promise<unknown>): void {
  query.catch(() => {});
}

function unionAll(sql: Queryable, arms: Fragment[]): Fragment {
  return arms.map((arm) => sql`(${arm})`).reduce((all, arm) => sql`${all} union all ${arm}`);
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

/** Tuning of {@link searchCustomers}; tests lower them to exercise every plan on little data. */
export interface CustomerSearchOptions {
  cap: number;
  /** Rows of the sort order a walk may read before the next plan. */
  walkBudget?: (wanted: number, estimated: number, arms?: ArmEstimate) => number;
  /** Estimated matches above which a keyword is dense (default {@link denseMatches}). */
  denseMatches?: number;
  /** Most matches collected and sorted in one statement (default {@link collectLimit}). */
  collectLimit?: (estimated: number) => number;
  /**
   * How long the planner's estimate of a filter's matches, and of the table's size, is reused by
   * the same pool (none when unset). A plan never changes the answer, only its cost, and the
   * estimates change only when the table is analyzed.
   */
  estimatesTtlMs?: number;
  /** Entries of the sort order a walk by day reads before it reads days (ADR 0143). */
  dayHeadWalk?: number;
  /** Most customers whose days a walk by day reads (default {@link DAY_ROWS_READ}). */
  dayRowsRead?: number;
}

/** What chooses a search's plan: the estimated matches of its filter and the table's size. */
interface SearchEstimate {
  estimated: number;
  customers: number;
  /**
   * The sorts whose walk did not fill a first page of this filter: the next first page collects
   * at once instead of walking the same index entries to the same end (kept with the estimate).
   */
  missedWalks?: Set<string>;
  /** Of a keyword split by position: its arms' estimates, which size the walk. */
  arms?: ArmEstimate;
}

/** Estimates reused per pool, for at most this many filters (the oldest go first). */
const ESTIMATES_KEPT = 1_000;
const estimatesByPool = new WeakMap<Sql, Map<string, SearchEstimate & { until: number }>>();

function estimateKey(filter: CustomerFilter): string {
  const { domains, keyword, status, source, companyId, groupId } = filter;
  return JSON.stringify([domains, keyword, status, source, companyId, groupId]);
}

function cachedEstimate(sql: Sql, key: string, now: number): SearchEstimate | undefined {
  const found = estimatesByPool.get(sql)?.get(key);
  return found && found.until > now ? found : undefined;
}

function keepEstimate(sql: Sql, key: string, estimate: SearchEstimate, until: number): void {
  let kept = estimatesByPool.get(sql);
  if (!kept) estimatesByPool.set(sql, kept = new Map());
  kept.delete(key);
  if (kept.size >= ESTIMATES_KEPT) kept.delete(kept.keys().next().value!);
  kept.set(key, { ...estimate, until });
}

/**
 * Above this many estimated matches a keyword is dense: LIKE alone counts it sooner than an
 * index collects its candidates (the bitmap costs in proportion to all of them), and a long walk
 * of the sort order costs less than sorting its matches (ADR 0069).
 */
const DENSE_MATCHES = 50_000;

/**
 * The dense threshold for a table of `customers`: 50 000 matches, or 5 % of a smaller table. On
 * 10 000 customers a keyword in 60 % of them (`MN-0000`) is dense: collecting its candidates
 * from the grams index would cost more than a scan that stops after `cap + 1` matches, and the
 * planner, seeing only the candidates' recheck, would evaluate the grams per row instead.
 */
function denseMatches(customers: number): number {
  return Math.min(DENSE_MATCHES, Math.max(1_000, customers * 0.05));
}

/**
 * Rows a walk reads: index entries only (the sort orders' covering indexes, migration 0010), a
 * quarter of the cost of collecting one match. Up to twice the estimated matches, at most 100 000:
 * the matches can be absent from a long stretch of the sort order (the newest rows, after an import
 * of other names).
 *
 * A keyword split by position is collected, when the walk misses, from its arms (ADR 0116), whose
 * cost per match differs more than tenfold: a walk then reads as many entries as the collection
 * would cost (ADR 0117). An entry walked costs about 0.33 us, a match of a prefix range about
 * 0.25 us (read index-only and sorted), a match inside the key about 3.5 us (a trigram candidate
 * checked on the table). `有限公司` after an import of 100 000 other names walked 100 000 entries, missed,
 * and sorted 600 000 matches (0.7-1.0 s); `Harbor` by name, 11 500 range matches behind 130 000
 * earlier names, is sorted from its range sooner than walked to.
 */
function defaultWalkBudget(wanted: number, estimated: number, arms?: ArmEstimate): number {
  if (!arms) return Math.min(100_000, Math.max(4_000, wanted * 200, estimated * 2));
  const collection = arms.ranges * RANGE_MATCH_IN_WALKED_ENTRIES +
    arms.infix * INFIX_MATCH_IN_WALKED_ENTRIES;
  return Math.max(4_000, wanted * 200, Math.round(collection));
}

/** The cost of collecting one match of a prefix range, in entries walked for the same time. */
const RANGE_MATCH_IN_WALKED_ENTRIES = 0.75;
/** The cost of collecting one match from the infix trigram indexes and the table, likewise. */
const INFIX_MATCH_IN_WALKED_ENTRIES = 10;

/** A split keyword's matches at the start of the name or the code, and inside them. */
interface ArmEstimate {
  ranges: number;
  infix: number;
}

/** Prefix-range matches counted exactly up to this many; more cost a walk of the same length. */
const RANGES_COUNTED = 20_000;

/**
 * The arms of a keyword split by position (ADR 0116), for the walk's budget: the prefix ranges
 * counted (index-only, at most {@link RANGES_COUNTED} + 1 entries), and inside the key the lesser
 * of two estimates: the rest of the planner's estimate of the whole key, and its estimate of the
 * infix key alone (statistics of the infix index's expression). Each errs by up to twice the
 * matches, and a phantom infix part made walks long: `MN-0000` (9 999 codes starting with it,
 * none inside) was estimated at 19 820 matches, so 9 821 inside, and its walk by code read 105 000
 * entries (46 ms) where the infix key's estimate was 110 (ADR 0143). The arms' own estimates are
 * no use: an admin's infix arm filters the domain by an expression estimated at 0.5 %.
 */
async function estimateArms(
  sql: Queryable,
  filter: CustomerFilter & { keyword: string },
  estimated: Promise<number>,
): Promise<ArmEstimate> {
  const [name, code] = keywordArms(sql, filter, sql`1`);
  const [[counted], inside] = await Promise.all([
    planned(sql, true)<{ ranges: number }[]>`
      select count(*)::int as ranges from (
        ${unionAll(sql, [name, code])} limit ${RANGES_COUNTED + 1}
      ) ranges`,
    planRows(
      sql,
      sql`select 1 from customer c where ${inDomains(sql, filter.domains)}
        and ${sql.unsafe(INFIX_KEY)} like lower(${likePattern(filter.keyword)})`,
    ),
  ]);
  const rest = Math.max(0, (await estimated) - counted.ranges);
  return { ranges: counted.ranges, infix: Math.min(rest, inside) };
}

/** Matches collected at once: the estimate with room for its error. */
function collectLimit(estimated: number): number {
  return Math.min(DENSE_MATCHES, Math.max(2_000, estimated * 2));
}

/** The planner's estimate of the customers matching the filter (LIKE statistics). */
async function estimateMatches(sql: Queryable, filter: CustomerFilter): Promise<number> {
  return await planRows(sql, sql`select 1 from customer c where ${customerWhere(sql, filter)}`);
}

/** The planner's estimate of the rows of a statement (EXPLAIN plans it for its parameters). */
async function planRows(sql: Queryable, statement: Fragment): Promise<number> {
  const [row] = await sql<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }[]>`
    explain (format json) ${statement}`;
  return row["QUERY PLAN"][0].Plan["Plan Rows"];
}

/**
 * A keyword page and its capped count, by a plan Postgres cannot choose alone: it walks the sort
 * index filtering the keyword whenever it expects many matches, which reads most of the table when
 * they are clustered away from the start of the sort order (ADRs 0063, 0069). The planner's
 * estimate of the matches picks one of two plans; both answer the rows of the plain query.
 * - Sparse (at most 50 000 estimated): walk the first rows of the sort order (not when at most
 *   `2 * cap` are expected); when that fills the page, count from the keyword's indexes (at most
 *   `cap + 1`). Otherwise collect every match with its sort key from those indexes and sort
 *   them, count included, in one statement; or, for a keyword split by position (ADR 0116) with
 *   more than `2 * cap` expected, sort the page from every match and count apart.
 * - Dense: count by LIKE alone (stops after `cap + 1`), walk up to 100 000 rows of the sort
 *   order, and sort every match only when that walk did not fill the page.
 */
export async function searchCustomers(
  sql: Sql,
  filter: CustomerFilter,
  page: CustomerPageStart,
  options: CustomerSearchOptions,
): Promise<CustomerSearchResult> {
  const key = estimateKey(filter);
  const now = Date.now();
  const cached = options.estimatesTtlMs ? cachedEstimate(sql, key, now) : undefined;
  return await readTransaction(sql, async (tx) => {
    // Each statement states its plan mode (planned()): a generic plan cannot see that
    // `ilike '%rare%'` wants the trigram index, and seq-scans (ADR 0007); the walk and the
    // statements of a keyword split by position read the same indexes whatever the keyword, and
    // planning them on every search cost more than a plan made once (ADRs 0116, 0117). They start
    // generic, the mode of most searches' statements. Starting parallel workers, or compiling a
    // plan (15 ms), costs more than these statements. The settings, local to the transaction, go
    // out with BEGIN and the next statement in one round trip: Postgres runs them in order, so
    // that statement is planned under them.
    const settings = tx<{ customers: number }[]>`
      select set_config('plan_cache_mode', 'force_generic_plan', true),
        set_config('max_parallel_workers_per_gather', '0', true), set_config('jit', 'off', true),
        (select greatest(reltuples, 0)::float8 from pg_class
          where oid = 'customer'::regclass) as customers`;
    const customers = settings.then(([row]) => row.customers);
    planModes.set(tx, "generic");
    const { bytewise, domainsBySize } = await tableFacts(sql, tx, now);
    let estimate = cached;
    if (!estimate) {
      const keyword = filter.keyword;
      const estimating = estimateMatches(tx, filter);
      const [size, estimated, arms] = await Promise.all([
        customers,
        estimating,
        splitsByPosition(keyword)
          ? estimateArms(tx, { ...filter, keyword }, estimating)
          : undefined,
      ]);
      estimate = { estimated, customers: size, missedWalks: new Set(), arms };
      if (options.estimatesTtlMs) keepEstimate(sql, key, estimate, now + options.estimatesTtlMs);
    }
    // With a reused estimate the settings are still in flight: a failure of theirs fails the
    // transaction, and so the statement after them.
    // One row more than the page tells whether a next page exists; every plan below reads the
    // rows in the same order, so the extra row never changes the rows of the page.
    const [{ rows, total }] = await Promise.all([
      searchWithCustomPlans(tx, filter, { ...page, limit: page.limit + 1 }, {
        ...options,
        ...estimate,
        domainsBySize,
        bytewise,
      }),
      customers,
    ]);
    return { ...toSlice(rows, page.limit), total };
  });
}

type KeyedRow = CustomerRow & { cursor_key: string };

async function searchWithCustomPlans(
  sql: Queryable,
  filter: CustomerFilter,
  page: CustomerPageStart,
  options: CustomerSearchOptions & SearchEstimate & {
    domainsBySize: string[];
    bytewise: boolean;
  },
): Promise<{ rows: KeyedRow[]; total: number }> {
  const { estimated } = options;
  const dense = estimated > (options.denseMatches ?? denseMatches(options.customers));
  const budget = (options.walkBudget ?? defaultWalkBudget)(
    page.offset + page.limit,
    estimated,
    options.arms,
  );
  const firstPage = page.offset === 0 && !page.after;
  const memo = `${page.sort.field} ${page.sort.direction}`;
  // The page, or null when a walk ran out before it knew the page: the plans go on without it.
  const walk = async (): Promise<KeyedRow[] | null> => {
    // A keyword holding the key's separator is matched on both columns, which no walk reads.
    if (filter.keyword?.includes(SEARCH_KEY_SEPARATOR)) return null;
    if (firstPage && options.missedWalks?.has(memo)) return null;
    const walked = walksByDay(filter, page, budget)
      ? await walkByDay(sql, filter, page, budget, options)
      : filled(await walkSortOrder(sql, filter, page, budget), page.limit);
    if (firstPage && !walked) options.missedWalks?.add(memo);
    return walked;
  };
  // More matches than a collection holds: more than the cap when it holds at least that many.
  let overflowed = -1;
  if (!dense) {
    // Few matches: collecting them costs less than walking to them.
    const few = estimated <= 2 * options.cap;
    const walked = few ? null : await walk();
    if (walked) {
      return {
        rows: walked,
        total: await countCustomers(sql, filter, options.cap, true, options.domainsBySize),
      };
    }
    if (!few && splitsByPosition(filter.keyword)) {
      // More matches expected than the cap: the page is sorted from every match without
      // collecting them into one set, and the count stops at `cap + 1` (ADR 0116).
      const [rows, total] = await Promise.all([
        sortSplitMatches(sql, filter, page, options.bytewise),
        countCustomers(sql, filter, options.cap, true, options.domainsBySize),
      ]);
      return { rows, total };
    }
    const limit = (options.collectLimit ?? collectLimit)(estimated);
    const collected = await collectAndSort(sql, filter, page, limit, options.bytewise);
    // The estimate was short: fewer matches than collected, or the dense plan.
    if (collected.total <= limit) {
      return { rows: collected.rows, total: Math.min(collected.total, options.cap + 1) };
    }
    overflowed = limit;
  }
  // The count is of the whole filter (the answer's `total`); only the page starts after the
  // cursor's position (ADR 0111).
  const total = overflowed >= options.cap
    ? options.cap + 1
    : await countCustomers(sql, filter, options.cap);
  if (total <= options.cap) {
    return await collectAndSort(sql, filter, page, options.cap, options.bytewise);
  }
  const walked = await walk();
  if (walked) return { rows: walked, total };
  if (splitsByPosition(filter.keyword)) {
    return { rows: await sortSplitMatches(sql, filter, page, options.bytewise), total };
  }
  const sorted = await collectAndSort(sql, filter, page, Infinity, options.bytewise);
  return { rows: sorted.rows, total };
}

/**
 * The key that sorts collected matches. Where the list's text columns sort by code point (C,
 * POSIX, or libc's C.UTF-8), comparing bytes gives the same order without a `strcoll()` per
 * comparison: the first page of 11 500 names took 11 ms to sort under C.UTF-8, and 3.5 ms as bytes
 * (ADR 0116).
 */
function matchOrder(sql: Queryable, sort: CustomerSort, bytewise: boolean): Fragment {
  const column = sql(SORT_COLUMNS[sort.field]);
  return bytewise && sort.field !== "createdAt" ? sql`${column} collate "C"` : sql`${column}`;
}

/**
 * What a search's plan reads of the customer table, per pool: whether the name and code columns
 * sort by code point (a schema fact, for matchOrder), and the domains by the size of their infix
 * indexes (from the statistics, for a count's arms). Read in the search's own transaction (the
 * embedded database has one connection), at most once a minute.
 */
interface TableFacts {
  bytewise: boolean;
  domainsBySize: string[];
  until: number;
}

const TABLE_FACTS_TTL_MS = 60_000;
const factsByPool = new WeakMap<Sql, TableFacts>();

async function tableFacts(pool: Sql, sql: Queryable, now: number): Promise<TableFacts> {
  const kept = factsByPool.get(pool);
  if (kept && kept.until > now) return kept;
  const [row] = await sql<{ bytewise: boolean | null; domains_by_size: string[] | null }[]>`
    select (select bool_and(case when a.attcollation = d.default_collation
        then d.datlocprovider = 'c' and d.datcollate in ('C', 'POSIX', 'C.UTF-8', 'C.utf8')
        else co.collprovider = 'c' and co.collcollate in ('C', 'POSIX', 'C.UTF-8', 'C.utf8')
      end)
      from pg_attribute a
      cross join (select datlocprovider, datcollate,
          'default'::regcollation::oid as default_collation
        from pg_database where datname = current_database()) d
      left join pg_collation co on co.oid = a.attcollation
      where a.attrelid = 'customer'::regclass
        and a.attname in ('customer_name', 'customer_code')) as bytewise,
    (select array_agg(upper(substr(relname, ${INFIX_DOMAIN_START})) order by reltuples)
      from pg_class where relname = any(${INFIX_INDEXES}::name[])) as domains_by_size`;
  const facts = {
    bytewise: row.bytewise === true,
    domainsBySize: row.domains_by_size ?? [],
    until: now + TABLE_FACTS_TTL_MS,
  };
  factsByPool.set(pool, facts);
  return facts;
}

/** The page after the cursor, sorted from every match of a keyword split by position. */
async function sortSplitMatches(
  sql: Queryable,
  filter: CustomerFilter,
  page: CustomerPageStart,
  bytewise: boolean,
): Promise<KeyedRow[]> {
  const column = sql(SORT_COLUMNS[page.sort.field]);
  const direction = page.sort.direction === "desc" ? sql`desc` : sql`asc`;
  const order = matchOrder(sql, page.sort, bytewise);
  const keyword = filter.keyword!;
  const matches = unionAll(sql, keywordArms(sql, { ...filter, keyword }, sql`c.id, ${column}`));
  return await planned(sql, true)<KeyedRow[]>`
    select ${sql.unsafe(CUSTOMER_COLUMNS)}, ${sortKey(sql, page.sort)} as cursor_key
    from customer c join company co on co.id = c.company_id
    where c.id = any(array(
      select c.id from (${matches}) c where ${keyset(sql, page)}
      order by ${order} ${direction}, c.id ${direction}
      limit ${page.limit} offset ${page.offset}))
    order by ${column} ${direction}, c.id ${direction}`;
}

/**
 * Collects at most `limit + 1` matches of the whole filter with their sort key (from the
 * keyword's indexes) and, when they are all, the page after the cursor sorted from them: one
 * statement, whose `total` above `limit` means "more than limit" (and no rows).
 */
async function collectAndSort(
  sql: Queryable,
  filter: CustomerFilter,
  page: CustomerPageStart,
  limit: number,
  bytewise = false,
): Promise<{ rows: KeyedRow[]; total: number }> {
  const column = sql(SORT_COLUMNS[page.sort.field]);
  const direction = page.sort.direction === "desc" ? sql`desc` : sql`asc`;
  const order = matchOrder(sql, page.sort, bytewise);
  const finite = Number.isFinite(limit);
  const bounded = finite ? sql`limit ${limit + 1}` : sql``;
  const allCollected = finite ? sql`counted.total <= ${limit}` : sql`true`;
  // The CTE keeps the sort column under its own name, so the cursor's condition reads it as is.
  const columns = sql`c.id, ${column}`;
  const collected = splitsByPosition(filter.keyword)
    ? unionAll(sql, keywordArms(sql, { ...filter, keyword: filter.keyword }, columns))
    : sql`select ${columns} from customer c where ${customerWhere(sql, filter, true)}`;
  const rows = await planned(sql, splitsByPosition(filter.keyword))<
    (KeyedRow & { total: number })[]
  >`
    with matches as materialized (${collected} ${bounded}),
    counted as (select count(*)::int as total from matches)
    select counted.total, found.* from counted left join lateral (
      select ${sql.unsafe(CUSTOMER_COLUMNS)}, ${sortKey(sql, page.sort)} as cursor_key
      from customer c join company co on co.id = c.company_id
      -- An id array, not a join: joined, the CTE's row estimate can make Postgres hash the
      -- whole customer table instead of probing its primary key (ADR 0007).
      where ${allCollected}
        and c.id = any(array(
          select c.id from matches c where ${keyset(sql, page)}
          order by ${order} ${direction}, c.id ${direction}
          limit ${page.limit} offset ${page.offset}))
      order by ${column} ${direction}, c.id ${direction}
    ) found on true`;
  return { rows: rows.filter((row) => row.id !== null), total: rows[0].total };
}

/**
 * The first matches of the sort order among its first `budget` rows. The inner LIMIT bounds the
 * rows read; they are the first of the sort order, so the matches among them are the first
 * matches. It reads only the sort column, id, domain and key: with the name order's covering
 * indexes the walk never reads the table (other filters do). The keyword is tested by `strpos()`:
 * the answer of LIKE, with nothing for a plan to estimate, so the walk runs under a generic plan
 * (ADR 0117): its plan is the sort order's index whatever the keyword, and planning it on every
 * search cost 0.7-1.8 ms (a regular expression estimated against the key's histogram).
 */
async function walkSortOrder(
  sql: Queryable,
  filter: CustomerFilter,
  page: CustomerPageStart,
  budget: number,
): Promise<KeyedRow[]> {
  const column = sql(SORT_COLUMNS[page.sort.field]);
  const direction = page.sort.direction === "desc" ? sql`desc` : sql`asc`;
  const nonAscii = page.sort.field === "customerName" && onlyNonAsciiMatch(filter.keyword)
    ? sql`and c.search_key ~ '[^[:ascii:]]'`
    : sql``;
  return await planned(sql, true)<KeyedRow[]>`
    select ${sql.unsafe(CUSTOMER_COLUMNS)}, ${sortKey(sql, page.sort)} as cursor_key
    from customer c join company co on co.id = c.company_id
    where c.id = any(array(
      select c.id from (
        select c.id, c.search_key, ${column} as sort_value from customer c
        where ${customerWhere(sql, { ...filter, keyword: undefined })} and ${keyset(sql, page)}
          ${nonAscii}
        order by ${column} ${direction}, c.id ${direction}
        limit ${budget}
      ) c
      where strpos(c.search_key, (select lower(${filter.keyword!}))) > 0
      order by c.sort_value ${direction}, c.id ${direction}
      limit ${page.limit} offset ${page.offset}
    ))
    order by ${column} ${direction}, c.id ${direction}`;
}

/** Rows of a walk that fill the page, or null. */
function filled(rows: KeyedRow[], limit: number): KeyedRow[] | null {
  return rows.length === limit ? rows : null;
}

/**
 * True when a walk reads the matches day by day of creation (ADR 0143): a page sorted by
 * `createdAt` with a keyword that has grams (2 or more characters, without the key's separator),
 * whose walk may read far.
 */
function walksByDay(filter: CustomerFilter, page: CustomerPageStart, budget: number): boolean {
  const keyword = filter.keyword;
  return page.sort.field === "createdAt" && budget >= DAY_WALK_MIN_BUDGET &&
    keyword !== undefined && [...keyword].length >= 2 && !keyword.includes(SEARCH_KEY_SEPARATOR);
}

/**
 * The walk's budget from which reading days pays. Below it the walk, and the collection after a
 * walk that ran out, cost a few milliseconds each (the budget is what collecting costs); the days'
 * statements cost 1-1.5 ms each, and a keyword whose matches are sparse needs several: `Harbor`
 * for a cold-chain user (budget about 4 200) took 4 ms of Postgres by day, 2.5 ms by walking.
 */
const DAY_WALK_MIN_BUDGET = 20_000;

/** Entries of the sort order read before the days: where matches are common they hold the page. */
const DAY_HEAD_WALK = 2_000;

/**
 * A day's customer read through its day token costs about a tenth of an entry walked: the grams
 * index read the 100 836 customers of an import's day, intersected with `logistics`, in 3 ms,
 * where the walk read 100 000 entries in 28 ms (ADR 0143).
 */
const DAY_ROWS_PER_WALKED_ENTRY = 10;

/**
 * Most customers (by the table's average per day) whose days a walk by day reads. Past a head of
 * other names the matches come at their usual density; a keyword whose matches all lie far away
 * (`MN-0000`: the oldest 7 of 361 days) is sorted from its indexes sooner than read day by day (40
 * ms for every day of 1.1 M customers), and the search remembers the miss (ADR 0143).
 */
const DAY_ROWS_READ = 250_000;

/**
 * The first matches of the `createdAt` order, read a day at a time (ADR 0143). A short walk of the
 * sort order first; then the matches of the next day, of the two after it, of the four after
 * those, and so on, each from the grams index's day tokens and sorted. The days follow the sort
 * order, so the matches of the days read are the first matches. Null when the days read would
 * cost more than the walk's budget, or hold more than {@link DAY_ROWS_READ} customers, before they
 * filled the page; the rows after the position when every day was read (the whole answer, even
 * short of a page).
 */
async function walkByDay(
  sql: Queryable,
  filter: CustomerFilter,
  page: CustomerPageStart,
  budget: number,
  options: { customers: number; dayHeadWalk?: number; dayRowsRead?: number },
): Promise<KeyedRow[] | null> {
  const head = await walkSortOrder(
    sql,
    filter,
    page,
    Math.min(budget, options.dayHeadWalk ?? DAY_HEAD_WALK),
  );
  if (head.length === page.limit) return head;
  const span = await daySpan(sql, filter, page);
  if (span.first === null || span.last === null) return [];
  const step = page.sort.direction === "desc" ? -1 : 1;
  const perDay = options.customers / (Math.abs(span.last - span.first) + 1);
  const wanted = page.offset + page.limit;
  const most = Math.min(budget * DAY_ROWS_PER_WALKED_ENTRY, options.dayRowsRead ?? DAY_ROWS_READ);
  const rows: KeyedRow[] = [];
  let read = 0;
  for (let day = span.first, days = 1;; day += step * days, days *= 2) {
    const last: number = step < 0
      ? Math.max(day - days + 1, span.last)
      : Math.min(day + days - 1, span.last);
    rows.push(...await dayMatches(sql, filter, page, dayTokens(day, last), wanted - rows.length));
    if (rows.length >= wanted) return rows.slice(page.offset, wanted);
    if (last === span.last) return rows.slice(page.offset);
    read += (Math.abs(last - day) + 1) * perDay;
    if (read >= most) return null;
  }
}

/** The grams index's tokens of the days from `from` to `to` (migration 0013). */
function dayTokens(from: number, to: number): string[] {
  const tokens = [];
  for (let day = Math.min(from, to); day <= Math.max(from, to); day++) tokens.push(`\u0002${day}`);
  return tokens;
}

/**
 * The UTC days (since 1970-01-01) of the first customer of the filter's domains after the
 * position and of the last one of the order: two entries of the `createdAt` indexes.
 */
async function daySpan(
  sql: Queryable,
  filter: CustomerFilter,
  page: CustomerPageStart,
): Promise<{ first: number | null; last: number | null }> {
  const [forward, backward] = page.sort.direction === "desc"
    ? [sql`desc`, sql`asc`]
    : [sql`asc`, sql`desc`];
  const day = sql`floor(extract(epoch from c.created_at) / 86400)::int`;
  const domains = inDomains(sql, filter.domains);
  const [row] = await planned(sql, true)<{ first: number | null; last: number | null }[]>`
    select
      (select ${day} from customer c where ${domains} and ${keyset(sql, page)}
        order by c.created_at ${forward}, c.id ${forward} limit 1) as first,
      (select ${day} from customer c where ${domains}
        order by c.created_at ${backward}, c.id ${backward} limit 1) as last`;
  return row;
}

/**
 * The first `limit` matches after the position among the customers created on the days of
 * `tokens`, from the grams index (migration 0013): the keyword's bigrams and digit grams, the
 * domain's token for one domain, and one of the days. Under a generic plan, as the walk: the index
 * reads whatever grams the keyword has, and planning the statement for its keyword cost 0.6 ms.
 */
async function dayMatches(
  sql: Queryable,
  filter: CustomerFilter,
  page: CustomerPageStart,
  tokens: string[],
  limit: number,
): Promise<KeyedRow[]> {
  const keyword = filter.keyword!;
  const direction = page.sort.direction === "desc" ? sql`desc` : sql`asc`;
  const domain = domainToken(sql, filter.domains);
  const others = andOtherFilters(sql, filter);
  // Folded once per statement, as in the walk (ADR 0117).
  const folded = sql`(select lower(${keyword}))`;
  return await planned(sql, true)<KeyedRow[]>`
    select ${sql.unsafe(CUSTOMER_COLUMNS)}, ${sortKey(sql, page.sort)} as cursor_key
    from customer c join company co on co.id = c.company_id
    where c.id = any(array(
      select c.id from customer c
      where ${sql.unsafe(SEARCH_GRAMS)} @> (customer_search_bigrams(${folded})
          || customer_search_digit_grams(${folded}) || ${domain})
        and ${sql.unsafe(SEARCH_GRAMS)} && ${tokens}::text[]
        and (c.business_domain || '') = any(${filter.domains}::text[])
        and strpos(c.search_key, ${folded}) > 0 and ${keyset(sql, page)} ${others}
      order by c.created_at ${direction}, c.id ${direction}
      limit ${limit}))
    order by c.created_at ${direction}, c.id ${direction}`;
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
  grams = false,
  domainsBySize?: string[],
): Promise<number> {
  const [row] = await planned(sql, grams && splitsByPosition(filter.keyword))<
    { total: number }[]
  >`
    select count(*)::int as total from (
      ${countedRows(sql, filter, grams, domainsBySize)} limit ${cap + 1}
    ) matches`;
  return row.total;
}

/**
 * The rows a count reads. Collecting candidates of a keyword split by position (ADR 0116), the
 * arm of the prefixes first: a keyword at the start of thousands of names is counted from 1 001
 * index entries. Over several domains that each have their own infix index, the infix arm is one
 * arm per domain: the count stops once the first domains hold `cap + 1` matches, having built
 * their bitmaps only (ADR 0115).
 */
function countedRows(
  sql: Queryable,
  filter: CustomerFilter,
  grams: boolean,
  domainsBySize: string[] = [],
) {
  const keyword = filter.keyword;
  if (!grams || !splitsByPosition(keyword)) {
    return sql`select 1 from customer c where ${customerWhere(sql, filter, grams)}`;
  }
  const one = sql`1`;
  const arms = keywordArms(sql, { ...filter, keyword }, one);
  const perDomain = filter.domains.length > 1 &&
    filter.domains.every((domain) => searchesOneDomainIndex({ ...filter, domains: [domain] }));
  if (!perDomain) return unionAll(sql, arms);
  // The smallest domains first: a common keyword reaches the cap from the fewest candidates.
  const rank = (domain: string) => (domainsBySize.indexOf(domain) + 1) || domainsBySize.length + 1;
  const domains = [...filter.domains].sort((a, b) => rank(a) - rank(b));
  const infixArms = domains.map((domain) =>
    keywordArms(sql, { ...filter, keyword }, one, [domain])[2]
  );
  return unionAll(sql, [...arms.slice(0, 2), ...infixArms]);
}

/**
 * Every customer of the filter in the sort order, fetched from a server-side cursor (`DECLARE`,
 * then `FETCH n` as the client takes each batch): memory stays one batch whatever the count. The
 * connection is held in a read transaction until close() (ADRs 0112, 0114).
 */
export async function openCustomerBatches(
  sql: Sql,
  filter: CustomerFilter,
  sort: CustomerSort,
  size: FetchSize,
): Promise<CustomerBatches> {
  const column = sql(SORT_COLUMNS[sort.field]);
  const direction = sort.direction === "desc" ? sql`desc` : sql`asc`;
  const sizer = fetchSizer(size);
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const opened = Promise.withResolvers<Queryable>();
  const transaction = sql.begin(async (tx) => {
    // A keyword plan made with the real keyword (ADR 0007). Each FETCH is timed on its own, so a
    // slow download is not cut; but the cursor's fast-start plan may walk far in the sort order
    // to fill one fetch of a rare filter, longer than the pool's per-statement timeout.
    await tx`set local plan_cache_mode = force_custom_plan`;
    await tx`set local statement_timeout = '30min'`;
    await tx`
      declare customer_export no scroll cursor for
      select ${sql.unsafe(CUSTOMER_COLUMNS)}
      from customer c join company co on co.id = c.company_id
      where ${customerWhere(tx, filter)}
      order by ${column} ${direction}, c.id ${direction}`;
    opened.resolve(tx);
    await released;
  }).catch((error) => opened.reject(error));
  const tx = await opened.promise;
  let pending: Promise<unknown> = Promise.resolve();
  let closed = false;
  let done = false;
  return {
    async next() {
      if (closed || done) return null;
      const asked = sizer.next();
      // FETCH takes its count as a literal, not a parameter; it is an integer from fetchSizer.
      const step = tx.unsafe<CustomerRow[]>(`fetch ${asked} from customer_export`);
      pending = step.catch(() => {});
      const rows = await step;
      done = rows.length < asked;
      if (rows.length === 0) return null;
      const batch = rows.map(toCustomerView);
      sizer.saw(batch);
      return batch;
    },
    async close() {
      if (closed) return;
      closed = true;
      // A fetch in flight is awaited first: the transaction ends between statements.
      await pending;
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
  size: FetchSize,
): CustomerBatches {
  const sizer = fetchSizer(size);
  let after: ListPosition | undefined;
  let done = false;
  return {
    async next() {
      if (done) return null;
      const slice = await queryCustomerPage(sql, filter, {
        sort,
        limit: sizer.next(),
        offset: 0,
        after,
      });
      if (slice.next) after = slice.next;
      else done = true;
      sizer.saw(slice.items);
      return slice.items.length > 0 ? slice.items : null;
    },
    close() {
      done = true;
      return Promise.resolve();
    },
  };
}
