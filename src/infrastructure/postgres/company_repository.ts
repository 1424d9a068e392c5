import type { Company } from "../../domain/customer/company.ts";
import type { Source } from "../../domain/shared/source.ts";
import type { ListPosition } from "../../shared/list_cursor.ts";
import { afterPosition, sliceNext, sortKeyText } from "./keyset.ts";
import type { Queryable } from "./database.ts";
import { mapConstraintViolation } from "./errors.ts";

/** A company row as selected by this repository. */
export interface CompanyRow {
  id: number;
  company_code: string;
  company_name: string;
  source: Source;
  source_ref_id: string | null;
  unified_social_credit_code: string | null;
  address: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** Maps a company row to the domain's Company (the contract's company JSON). */
export function toCompany(row: CompanyRow): Company {
  return {
    id: row.id,
    companyCode: row.company_code,
    companyName: row.company_name,
    source: row.source,
    sourceRefId: row.source_ref_id,
    unifiedSocialCreditCode: row.unified_social_credit_code,
    address: row.address,
    contactName: row.contact_name,
    contactPhone: row.contact_phone,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const COLUMNS = `id, company_code, company_name, source, source_ref_id, unified_social_credit_code,
  address, contact_name, contact_phone, version, created_at, updated_at`;

/** How a company may be looked up. */
export type CompanyKey =
  | { companyCode: string }
  | { source: Source; sourceRefId: string }
  | { unifiedSocialCreditCode: string };

/**
 * The company with the given natural key; with `visibleIn`, only when it has a customer in one of
 * those domains (contract §10.1: a company the user cannot see does not exist for them).
 */
export async function findCompanyByKey(
  tx: Queryable,
  key: CompanyKey,
  options: { visibleIn?: string[] } = {},
): Promise<Company | undefined> {
  const where = "companyCode" in key
    ? tx`company_code = ${key.companyCode}`
    : "sourceRefId" in key
    ? tx`source = ${key.source} and source_ref_id = ${key.sourceRefId}`
    : tx`unified_social_credit_code = ${key.unifiedSocialCreditCode}`;
  const visible = options.visibleIn
    ? tx`and exists (select 1 from customer c where c.company_id = company.id
        and c.business_domain = any(${options.visibleIn}::text[]))`
    : tx``;
  const [row] = await tx<CompanyRow[]>`
    select ${tx.unsafe(COLUMNS)} from company where ${where} ${visible}`;
  return row ? toCompany(row) : undefined;
}

/**
 * Answers true, with the company row locked, when every customer of the company is in the given
 * domains. FOR UPDATE conflicts with the key-share lock a new customer's foreign key takes, so no
 * customer of another domain can join it until the caller commits; the check runs once before the
 * lock too, so a user who may not change the company never locks it (ADR 0093).
 */
export async function lockCompanyOwnedBy(
  tx: Queryable,
  id: number,
  domains: string[],
): Promise<boolean> {
  const ownedBy = async () => {
    const [row] = await tx<{ foreign: boolean }[]>`
      select exists (select 1 from customer where company_id = ${id}
        and business_domain <> all(${domains}::text[])) as foreign`;
    return !row.foreign;
  };
  if (!(await ownedBy())) return false;
  await tx`select id from company where id = ${id} for update`;
  return await ownedBy();
}

/** The next number of `company_code_seq`. */
export async function nextCompanyCodeNumber(tx: Queryable): Promise<number> {
  const [row] = await tx<{ n: number }[]>`select nextval('company_code_seq') as n`;
  return Number(row.n);
}

/** A company to insert: everything but what the database assigns. */
export type NewCompany = Omit<Company, "id" | "version" | "createdAt" | "updatedAt">;

/**
 * Inserts a company; answers undefined when a concurrent writer already holds one of its unique
 * keys (the caller looks it up again instead of failing the whole create).
 */
export async function insertCompany(
  tx: Queryable,
  company: NewCompany,
): Promise<Company | undefined> {
  const [row] = await tx<CompanyRow[]>`
    insert into company (company_code, company_name, source, source_ref_id,
      unified_social_credit_code, address, contact_name, contact_phone)
    values (${company.companyCode}, ${company.companyName}, ${company.source},
      ${company.sourceRefId}, ${company.unifiedSocialCreditCode}, ${company.address},
      ${company.contactName}, ${company.contactPhone})
    on conflict do nothing
    returning ${tx.unsafe(COLUMNS)}`;
  return row ? toCompany(row) : undefined;
}

/** The companies holding any of the given `(source, sourceRefId)` keys (one query for a batch). */
export async function findCompaniesBySourceRefs(
  tx: Queryable,
  keys: { source: Source; sourceRefId: string }[],
): Promise<Company[]> {
  if (keys.length === 0) return [];
  // One probe of company_source_ref_key per key: the lateral limit keeps the planner from a hash
  // join over the whole table, which it picks while a bulk import outgrows the statistics.
  const rows = await tx<CompanyRow[]>`
    select co.*
    from unnest(${keys.map((key) => key.source)}::text[],
      ${keys.map((key) => key.sourceRefId)}::text[]) as k(source, source_ref_id)
    cross join lateral (
      select ${tx.unsafe(COLUMNS)} from company
      where source = k.source and source_ref_id = k.source_ref_id
      limit 1) co`;
  return rows.map(toCompany);
}

/**
 * Inserts companies in one statement. A taken unique key fails the whole statement (Postgres
 * 23505, left unmapped): batch callers then resolve the rows one by one. No `on conflict`: its
 * speculative insertion into three unique indexes made this the second slowest import statement.
 */
export async function insertCompanies(tx: Queryable, companies: NewCompany[]): Promise<Company[]> {
  if (companies.length === 0) return [];
  const column = <K extends keyof NewCompany>(key: K) => companies.map((company) => company[key]);
  const rows = await tx<CompanyRow[]>`
    insert into company (company_code, company_name, source, source_ref_id,
      unified_social_credit_code, address, contact_name, contact_phone)
    select * from unnest(${column("companyCode")}::text[], ${column("companyName")}::text[],
      ${column("source")}::text[], ${column("sourceRefId")}::text[],
      ${column("unifiedSocialCreditCode")}::text[], ${column("address")}::text[],
      ${column("contactName")}::text[], ${column("contactPhone")}::text[])
    returning ${tx.unsafe(COLUMNS)}`;
  return rows.map(toCompany);
}

/** Fields of an existing company an upsert may change. */
export type CompanyChanges = Partial<
  Pick<
    NewCompany,
    "companyName" | "unifiedSocialCreditCode" | "address" | "contactName" | "contactPhone"
  >
>;

const CHANGE_COLUMNS: Record<keyof CompanyChanges, string> = {
  companyName: "company_name",
  unifiedSocialCreditCode: "unified_social_credit_code",
  address: "address",
  contactName: "contact_name",
  contactPhone: "contact_phone",
};

/** Applies changes to a company, bumping its version; 409 COMPANY_DUPLICATED on a taken USCC. */
export async function updateCompany(
  tx: Queryable,
  id: number,
  changes: CompanyChanges,
): Promise<Company> {
  const values: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(changes)) {
    values[CHANGE_COLUMNS[field as keyof CompanyChanges]] = value;
  }
  try {
    const [row] = await tx<CompanyRow[]>`
      update company set ${tx(values as never)}, version = version + 1, updated_at = now()
      where id = ${id}
      returning ${tx.unsafe(COLUMNS)}`;
    return toCompany(row);
  } catch (error) {
    mapConstraintViolation(error);
  }
}

/** Ids of the customers of a company (their cached details show it). */
export async function listCustomerIdsOfCompany(sql: Queryable, companyId: number) {
  const rows = await sql<{ id: number }[]>`select id from customer where company_id = ${companyId}`;
  return rows.map((row) => row.id);
}

/** Ids of the customers of any of the companies. */
export async function listCustomerIdsOfCompanies(sql: Queryable, companyIds: number[]) {
  if (companyIds.length === 0) return [];
  const rows = await sql<{ id: number }[]>`
    select id from customer where company_id = any(${companyIds}::bigint[])`;
  return rows.map((row) => row.id);
}

/** Filters of the company list. */
export interface CompanyFilter {
  domains: string[];
  keyword?: string;
  sort: { field: "createdAt" | "companyName" | "companyCode"; direction: "asc" | "desc" };
  limit: number;
  offset: number;
  /** Start after this position of the sort order (a cursor) instead of at `offset`. */
  after?: ListPosition;
}

const COMPANY_SORT_COLUMNS = {
  createdAt: "co.created_at",
  companyName: "co.company_name",
  companyCode: "co.company_code",
} as const;

/** Escapes LIKE wildcards so a keyword matches literally. */
export function likePattern(keyword: string): string {
  return `%${keyword.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

function companyWhere(sql: Queryable, filter: Omit<CompanyFilter, "sort" | "limit" | "offset">) {
  const keyword = filter.keyword
    ? sql`and (co.company_name ilike ${likePattern(filter.keyword)}
        or co.company_code ilike ${likePattern(filter.keyword)})`
    : sql``;
  return sql`exists (select 1 from customer c where c.company_id = co.id
      and c.business_domain = any(${filter.domains}::text[])) ${keyword}`;
}

/** A page of companies having a customer in the given domains, and where the next starts. */
export async function queryCompanies(
  sql: Queryable,
  filter: CompanyFilter,
): Promise<{ items: Company[]; next: ListPosition | null }> {
  const name = COMPANY_SORT_COLUMNS[filter.sort.field];
  const kind = filter.sort.field === "createdAt" ? "timestamp" : "text";
  const direction = filter.sort.direction === "desc" ? sql`desc` : sql`asc`;
  const after = afterPosition(sql, {
    column: name,
    idColumn: "co.id",
    kind,
    direction: filter.sort.direction,
  }, filter.after);
  const rows = await sql<(CompanyRow & { cursor_key: string })[]>`
    select ${sql.unsafe(COLUMNS.replace(/(\w+)/g, "co.$1"))},
      ${sortKeyText(sql, name, kind)} as cursor_key
    from company co
    where ${companyWhere(sql, filter)} and ${after}
    order by ${sql(name)} ${direction}, co.id ${direction}
    limit ${filter.limit + 1} offset ${filter.offset}`;
  const { rows: kept, next } = sliceNext(rows, filter.limit);
  return { items: kept.map(({ cursor_key: _, ...row }) => toCompany(row)), next };
}

/** How many companies the list filter matches (kept separate so it can be estimated later). */
export async function countCompanies(
  sql: Queryable,
  filter: Omit<CompanyFilter, "sort" | "limit" | "offset">,
): Promise<number> {
  const [row] = await sql<{ total: number }[]>`
    select count(*)::int as total from company co where ${companyWhere(sql, filter)}`;
  return row.total;
}

/** The company when it has a customer in one of the domains. */
export async function findVisibleCompany(
  sql: Queryable,
  id: number,
  domains: string[],
): Promise<Company | undefined> {
  const [row] = await sql<CompanyRow[]>`
    select ${sql.unsafe(COLUMNS.replace(/(\w+)/g, "co.$1"))} from company co
    where co.id = ${id} and ${companyWhere(sql, { domains })}`;
  return row ? toCompany(row) : undefined;
}
