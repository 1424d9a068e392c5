import type { CompanyView } from "../../domain/customer/company.ts";
import type { CustomerDetailView, CustomerView } from "../../domain/customer/customer.ts";
import type { CustomerStatus } from "../../domain/customer/customer_status.ts";
import type { Source } from "../../domain/shared/source.ts";
import { type CompanyRow, toCompany } from "./company_repository.ts";
import type { Queryable } from "./database.ts";
import { mapConstraintViolation } from "./errors.ts";

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

/** The business domain of each given customer id that exists. */
export async function findCustomerDomains(
  sql: Queryable,
  ids: number[],
): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<{ id: number; business_domain: string }[]>`
    select id, business_domain from customer where id = any(${ids}::bigint[])`;
  return new Map(rows.map((row) => [row.id, row.business_domain]));
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
