import type { CompanyView } from "../../domain/customer/company.ts";
import type {
  CustomerBatches,
  CustomerDetailView,
  CustomerView,
} from "../../domain/customer/customer.ts";
import type { CustomerStatus } from "../../domain/customer/customer_status.ts";
import type { Source } from "../../domain/shared/source.ts";
import { type CompanyRow, likePattern, toCompany } from "./company_repository.ts";
import type { Queryable, Sql } from "./database.ts";
import { mapConstraintViolation } from "./errors.ts";
import type { ListPosition } from "../../shared/list_cursor.ts";
import { afterPosition, sliceNext, sortKeyText } from "./keyset.ts";

/** A customer row joined with its company summary, as CUSTOMER_COLUMNS selects it. */
export interface CustomerRow {
  id: number;
  customer_code: string;
  customer_name: string;
  business_domain: string;
  status: CustomerStatus;
  merged_into_id: number | null;
  source: Source;
  external_code: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  remark: string | null;
  operation_uid: string;
  operation_name: string;
  version: number;
  created_at: Date;
  updated_at: Date;
  company_id: number;
  company_code: string;
  company_name: string;
}

/** The columns of a customer and its company summary (aliases `c` and `co`). */
export const CUSTOMER_COLUMNS =
  `c.id, c.customer_code, c.customer_name, c.business_domain, c.status,
  c.merged_into_id, c.source, c.external_code, c.contact_name, c.contact_phone, c.remark, c.operation_uid,
  c.operation_name, c.version, c.created_at, c.updated_at, c.company_id, co.company_code,
  co.company_name`;

/** Maps a CUSTOMER_COLUMNS row to the Customer JSON. */
export function toCustomerView(row: CustomerRow): CustomerView {
  return {
    id: row.id,
    customerCode: row.customer_code,
    customerName: row.customer_name,
    businessDomain: row.business_domain,
    status: row.status,
    mergedIntoId: row.merged_into_id,
    source: row.source,
    externalCode: row.external_code,
    contactName: row.contact_name,
    contactPhone: row.contact_phone,
    remark: row.remark,
    company: { id: row.company_id, companyCode: row.company_code, companyName: row.company_name },
    operationUid: row.operation_uid,
    operationName: row.operation_name,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The next number of `customer_code_seq`. */
export async function nextCustomerCodeNumber(tx: Queryable): Promise<number> {
  const [row] = await tx<{ n: number }[]>`select nextval('customer_code_seq') as n`;
  return Number(row.n);
}

/** True when a customer already holds this customer code. */
export async function customerCodeExists(tx: Queryable, customerCode: string): Promise<boolean> {
  const rows = await tx`select 1 from customer where customer_code = ${customerCode}`;
  return rows.length > 0;
}

/** A customer to insert: the view's writable fields, with the company by id. */
export type NewCustomer =
  & Omit<
    CustomerView,
    "id" | "company" | "version" | "createdAt" | "updatedAt" | "mergedIntoId"
  >
  & {
    companyId: number;
  };

/** Inserts a customer; a taken code or (source, externalCode) is 409 CUSTOMER_DUPLICATED. */
export async function insertCustomer(tx: Queryable, customer: NewCustomer): Promise<number> {
  try {
    const [row] = await tx<{ id: number }[]>`
      insert into customer (customer_code, customer_name, company_id, business_domain, status,
        source, external_code, contact_name, contact_phone, remark, operation_uid, operation_name)
      values (${customer.customerCode}, ${customer.customerName}, ${customer.companyId},
        ${customer.businessDomain}, ${customer.status}, ${customer.source},
        ${customer.externalCode}, ${customer.contactName}, ${customer.contactPhone},
        ${customer.remark}, ${customer.operationUid}, ${customer.operationName})
      returning id`;
    return row.id;
  } catch (error) {
    mapConstraintViolation(error);
  }
}

/**
 * Inserts customers in one statement and answers their ids in input order. A taken code or
 * (source, externalCode) fails the whole statement (409 CUSTOMER_DUPLICATED): batch callers
 * then retry the rows one by one to find the offending row.
 */
export async function insertCustomers(tx: Queryable, customers: NewCustomer[]): Promise<number[]> {
  if (customers.length === 0) return [];
  const column = <K extends keyof NewCustomer>(key: K) =>
    customers.map((customer) => customer[key]);
  try {
    const rows = await tx<{ id: number; customer_code: string }[]>`
      insert into customer (customer_code, customer_name, company_id, business_domain, status,
        source, external_code, contact_name, contact_phone, remark, operation_uid, operation_name)
      select * from unnest(${column("customerCode")}::text[], ${column("customerName")}::text[],
        ${column("companyId")}::bigint[], ${column("businessDomain")}::text[],
        ${column("status")}::text[], ${column("source")}::text[], ${column("externalCode")}::text[],
        ${column("contactName")}::text[], ${column("contactPhone")}::text[],
        ${column("remark")}::text[], ${column("operationUid")}::text[],
        ${column("operationName")}::text[])
      returning id, customer_code`;
    // Customer codes are unique: map by code rather than trusting the order of RETURNING.
    const ids = new Map(rows.map((row) => [row.customer_code, row.id]));
    return customers.map((customer) => ids.get(customer.customerCode)!);
  } catch (error) {
    mapConstraintViolation(error);
  }
}

/** The Customer JSON of one customer, whatever its domain (callers check visibility). */
export async function findCustomerView(
  sql: Queryable,
  id: number,
): Promise<CustomerView | undefined> {
  const [row] = await sql<CustomerRow[]>`
    select ${sql.unsafe(CUSTOMER_COLUMNS)}
    from customer c join company co on co.id = c.company_id
    where c.id = ${id}`;
  return row ? toCustomerView(row) : undefined;
}

/** The customer detail (full company, groups), whatever its domain (callers check visibility). */
export async function findCustomerDetail(
  sql: Queryable,
  id: number,
): Promise<CustomerDetailView | undefined> {
  // One round trip: the detail is the hot path of cache misses.
  const [row] = await sql<
    (CustomerRow & { company: CompanyRow; groups: { id: number; groupName: string }[] })[]
  >`
    select ${sql.unsafe(CUSTOMER_COLUMNS)}, row_to_json(co.*) as company,
      coalesce((
        select json_agg(json_build_object('id', g.id, 'groupName', g.group_name) order by g.id)
        from customer_group_member m join customer_group g on g.id = m.group_id
        where m.customer_id = c.id
      ), '[]') as groups
    from customer c join company co on co.id = c.company_id
    where c.id = ${id}`;
  if (!row) return undefined;
  const json = row.company as unknown as Record<string, unknown>;
  const company: CompanyView = toCompany({
    ...(json as unknown as CompanyRow),
    id: Number(json.id),
    created_at: new Date(json.created_at as string),
    updated_at: new Date(json.updated_at as string),
  });
  return {
    ...toCustomerView(row),
    company,
    groups: row.groups.map((group) => ({ id: Number(group.id), groupName: group.groupName })),
  };
}

/** Short rows of customers by id (for group membership checks). */
export async function findCustomerRowsByIds(sql: Queryable, ids: number[]): Promise<
  {
    id: number;
    business_domain: string;
    status: CustomerStatus;
    customer_code: string;
    customer_name: string;
  }[]
> {
  if (ids.length === 0) return [];
  return await sql`
    select id, business_domain, status, customer_code, customer_name
    from customer where id = any(${ids}::bigint[])`;
}

/** The state a customer write decides on, row-locked until the transaction ends. */
export interface LockedCustomer {
  id: number;
  businessDomain: string;
  status: CustomerStatus;
  mergedIntoId: number | null;
  version: number;
  customerName: string;
  contactName: string | null;
  contactPhone: string | null;
  remark: string | null;
}

/**
 * Locks a customer row of one of the given domains (`for update`) and answers what a write decides
 * on; a row of another domain is neither locked nor answered (ADR 0093).
 */
export async function lockCustomer(
  tx: Queryable,
  id: number,
  domains: readonly string[],
): Promise<LockedCustomer | undefined> {
  const [row] = await tx<
    {
      id: number;
      business_domain: string;
      status: CustomerStatus;
      merged_into_id: number | null;
      version: number;
      customer_name: string;
      contact_name: string | null;
      contact_phone: string | null;
      remark: string | null;
    }[]
  >`
    select id, business_domain, status, merged_into_id, version, customer_name, contact_name,
      contact_phone, remark
    from customer where id = ${id} and business_domain = any(${domains as string[]}::text[])
    for update`;
  if (!row) return undefined;
  return {
    id: row.id,
    businessDomain: row.business_domain,
    status: row.status,
    mergedIntoId: row.merged_into_id,
    version: row.version,
    customerName: row.customer_name,
    contactName: row.contact_name,
    contactPhone: row.contact_phone,
    remark: row.remark,
  };
}

/** Fields PATCH /customers/{id} may change. */
export interface CustomerChanges {
  customerName?: string;
  contactName?: string | null;
  contactPhone?: string | null;
  remark?: string | null;
  businessDomain?: string;
  status?: CustomerStatus;
}

const CHANGE_COLUMNS: Record<keyof CustomerChanges, string> = {
  customerName: "customer_name",
  contactName: "contact_name",
  contactPhone: "contact_phone",
  remark: "remark",
  businessDomain: "business_domain",
  status: "status",
};

/** Writes changes with the operator, bumping the version; answers the new version. */
export async function updateCustomerRow(
  tx: Queryable,
  id: number,
  changes: CustomerChanges,
  operator: { uid: string; name: string },
): Promise<number> {
  const values: Record<string, unknown> = {
    operation_uid: operator.uid,
    operation_name: operator.name,
  };
  for (const [field, value] of Object.entries(changes)) {
    if (value !== undefined) values[CHANGE_COLUMNS[field as keyof CustomerChanges]] = value;
  }
  try {
    const [row] = await tx<{ version: number }[]>`
      update customer set ${tx(values as never)}, version = version + 1, updated_at = now()
      where id = ${id}
      returning version`;
    return row.version;
  } catch (error) {
    mapConstraintViolation(error);
  }
}

/** Ids of the groups listing the customer (their cached details show it). */
export async function listGroupIdsOfCustomer(sql: Queryable, customerId: number) {
  const rows = await sql<{ group_id: number }[]>`
    select group_id from customer_group_member where customer_id = ${customerId}`;
  return rows.map((row) => row.group_id);
}

/**
 * Removes the customer from the groups of a domain (it moved away), bumping those groups'
 * version and operator; answers their ids.
 */
export async function removeFromGroupsOfDomain(
  tx: Queryable,
  customerId: number,
  domain: string,
  operator: { uid: string; name: string },
): Promise<number[]> {
  const rows = await tx<{ group_id: number }[]>`
    delete from customer_group_member m using customer_group g
    where m.group_id = g.id and m.customer_id = ${customerId} and g.business_domain = ${domain}
    returning m.group_id`;
  const ids = rows.map((row) => row.group_id);
  if (ids.length > 0) {
    await tx`
      update customer_group set version = version + 1, updated_at = now(),
        operation_uid = ${operator.uid}, operation_name = ${operator.name}
      where id = any(${ids}::bigint[])`;
  }
  return ids;
}

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

function keywordMatch(sql: Queryable, keyword: string | undefined) {
  if (!keyword) return sql`true`;
  // ILIKE '%k%' on each trigram-indexed column: Postgres answers it with a BitmapOr of both.
  const pattern = likePattern(keyword);
  return sql`(c.customer_name ilike ${pattern} or c.customer_code ilike ${pattern})`;
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
    where ${keywordMatch(sql, filter.keyword)}
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
