import type { Queryable } from "../../src/infrastructure/postgres/database.ts";

/**
 * SQL fixtures that write rows straight into the schema (no HTTP, no use case), so a test can
 * set up companies and customers without depending on the customer endpoints.
 */

/** A company row as the fixtures create it. */
export interface CompanyFixture {
  id: number;
  companyCode: string;
  companyName: string;
}

/** Options of insertCompany; everything has a unique default. */
export interface CompanyFixtureOptions {
  companyCode?: string;
  companyName?: string;
  source?: "MANUAL" | "RB" | "ERP";
  sourceRefId?: string | null;
  unifiedSocialCreditCode?: string | null;
}

function uniqueSuffix(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 10);
}

/** Inserts one company (MANUAL by default; other sources get a source_ref_id). */
export async function insertCompany(
  sql: Queryable,
  options: CompanyFixtureOptions = {},
): Promise<CompanyFixture> {
  const source = options.source ?? "MANUAL";
  const suffix = uniqueSuffix();
  const sourceRefId = options.sourceRefId !== undefined
    ? options.sourceRefId
    : source === "MANUAL"
    ? null
    : `REF-${suffix}`;
  const [row] = await sql<{ id: number; company_code: string; company_name: string }[]>`
    insert into company (company_code, company_name, source, source_ref_id,
      unified_social_credit_code)
    values (${options.companyCode ?? `CO-${suffix}`}, ${options.companyName ?? `Company ${suffix}`},
      ${source}, ${sourceRefId}, ${options.unifiedSocialCreditCode ?? null})
    returning id, company_code, company_name`;
  return { id: row.id, companyCode: row.company_code, companyName: row.company_name };
}

/** A customer row as the fixtures create it. */
export interface CustomerFixture {
  id: number;
  customerCode: string;
  customerName: string;
  businessDomain: string;
  status: string;
  companyId: number;
}

/** Options of insertCustomer; a company is created when `companyId` is not given. */
export interface CustomerFixtureOptions {
  businessDomain?: string;
  status?: "PENDING" | "ACTIVE" | "SUSPENDED" | "TERMINATED";
  customerName?: string;
  companyId?: number;
  source?: "MANUAL" | "RB" | "ERP";
  externalCode?: string | null;
  contactName?: string | null;
  contactPhone?: string | null;
  remark?: string | null;
  operationUid?: string;
  operationName?: string;
}

interface CustomerRow {
  id: number;
  customer_code: string;
  customer_name: string;
  business_domain: string;
  status: string;
  company_id: number;
}

function toCustomerFixture(row: CustomerRow): CustomerFixture {
  return {
    id: row.id,
    customerCode: row.customer_code,
    customerName: row.customer_name,
    businessDomain: row.business_domain,
    status: row.status,
    companyId: row.company_id,
  };
}

/**
 * Inserts one customer. Its code follows the SourcePrefixStrategy: `PREFIX-externalCode`, or
 * `MN-` and 8 digits from customer_code_seq for a MANUAL customer without external code.
 */
export async function insertCustomer(
  sql: Queryable,
  options: CustomerFixtureOptions = {},
): Promise<CustomerFixture> {
  const companyId = options.companyId ?? (await insertCompany(sql)).id;
  const source = options.source ?? "MANUAL";
  const prefix = { MANUAL: "MN", RB: "RB", ERP: "ERP" }[source];
  const externalCode = options.externalCode ?? (source === "MANUAL" ? null : uniqueSuffix());
  const [row] = await sql<CustomerRow[]>`
    insert into customer (customer_code, customer_name, company_id, business_domain, status,
      source, external_code, contact_name, contact_phone, remark, operation_uid, operation_name)
    values (
      ${
    externalCode === null
      ? sql`${prefix} || '-' || lpad(nextval('customer_code_seq')::text, 8, '0')`
      : sql`${`${prefix}-${externalCode}`}`
  },
      ${options.customerName ?? `Customer ${uniqueSuffix()}`}, ${companyId},
      ${options.businessDomain ?? "GENERAL_WAREHOUSING"}, ${options.status ?? "ACTIVE"},
      ${source}, ${externalCode}, ${options.contactName ?? null}, ${options.contactPhone ?? null},
      ${options.remark ?? null}, ${options.operationUid ?? "U-FIXTURE"},
      ${options.operationName ?? "Fixture"})
    returning id, customer_code, customer_name, business_domain, status, company_id`;
  return toCustomerFixture(row);
}

/** Options of insertCustomers: like insertCustomer, with a name prefix instead of a name. */
export type CustomersFixtureOptions =
  & Omit<CustomerFixtureOptions, "customerName" | "externalCode">
  & {
    namePrefix?: string;
  };

/**
 * Inserts `count` MANUAL customers with one set-based statement (fast enough for 10 000 rows),
 * all of one company; answers them in id order.
 */
export async function insertCustomers(
  sql: Queryable,
  count: number,
  options: CustomersFixtureOptions = {},
): Promise<CustomerFixture[]> {
  const companyId = options.companyId ?? (await insertCompany(sql)).id;
  const namePrefix = options.namePrefix ?? `Bulk ${uniqueSuffix()}`;
  const rows = await sql<CustomerRow[]>`
    insert into customer (customer_code, customer_name, company_id, business_domain, status,
      source, operation_uid, operation_name)
    select 'MN-' || lpad(nextval('customer_code_seq')::text, 8, '0'), ${namePrefix} || ' ' || n,
      ${companyId}, ${options.businessDomain ?? "GENERAL_WAREHOUSING"},
      ${options.status ?? "ACTIVE"}, 'MANUAL', ${options.operationUid ?? "U-FIXTURE"},
      ${options.operationName ?? "Fixture"}
    from generate_series(1, ${count}::int) as n
    returning id, customer_code, customer_name, business_domain, status, company_id`;
  return rows.map(toCustomerFixture).sort((a, b) => a.id - b.id);
}
