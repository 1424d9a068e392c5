import type { Config } from "../../config.ts";
import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { CustomerView } from "../../domain/customer/customer.ts";
import type { CustomerStatus } from "../../domain/customer/customer_status.ts";
import type { Source } from "../../domain/shared/source.ts";
import {
  countCustomers,
  type CustomerFilter,
  type CustomerPageStart,
  type CustomerSort,
  queryCustomerPage,
  searchCustomers,
} from "../../infrastructure/postgres/customer_list_repository.ts";
import type { Page } from "../shared/page.ts";
import type { ListScope } from "../../shared/list_cursor.ts";
import { pageAnswer, pageStart, type PagingInput, sortName } from "../shared/list_paging.ts";

/**
 * `total` counts matches exactly up to this many; beyond, it is this many and `totalIsCapped` is
 * true (ADR 0062). 1 000 is 50 pages of 20, more than anyone pages through, and keeps the count of
 * a common keyword over a million customers to a few milliseconds.
 */
export const TOTAL_CAP = 1_000;

/**
 * How long a keyword's estimated matches choose its plan before they are asked again: paging
 * through a keyword asks the same, and statistics change only when the table is analyzed.
 */
const ESTIMATES_TTL_MS = 60_000;

/** The filters and sort of GET /customers (and of its export). */
export interface CustomerListFilters {
  keyword?: string;
  businessDomain?: string;
  status?: CustomerStatus;
  source?: Source;
  companyId?: number;
  groupId?: number;
  sort: CustomerSort;
}

/** The filters, sort and page (or cursor) of GET /customers. */
export type QueryCustomersInput = CustomerListFilters & PagingInput;

/** What a customer cursor is bound to: the request's filters and sort, not the user. */
export function customerListScope(input: CustomerListFilters): ListScope {
  const { sort, ...filters } = input;
  return { list: "customers", filters, sort: sortName(sort) };
}

/** The repository filter of a request: its filters within the user's domains. */
export function customerFilter(user: CurrentUser, input: CustomerListFilters): CustomerFilter {
  return {
    domains: BusinessDomainGuard.filterDomains(user, input.businessDomain),
    keyword: input.keyword,
    status: input.status,
    source: input.source,
    companyId: input.companyId,
    groupId: input.groupId,
  };
}

/** A page of customers, always restricted to the user's domains (403 for a foreign filter). */
export async function queryCustomers(
  deps: { db: Database; config: Config },
  { user, page: pageNumber, pageSize, cursor, ...input }:
    & { user: CurrentUser }
    & QueryCustomersInput,
): Promise<Page<CustomerView>> {
  const filter = customerFilter(user, input);
  const scope = customerListScope(input);
  const paging = { page: pageNumber, pageSize, cursor };
  const page = { sort: input.sort, ...pageStart(deps.config, scope, paging) };
  // A keyword's plan depends on how many customers match (ADR 0063); other filters are served by
  // the (domain, status, created_at) indexes whatever the count.
  const { items, next, total } = await deps.db.read((sql) =>
    filter.keyword
      ? searchCustomers(sql, filter, page, { cap: TOTAL_CAP, estimatesTtlMs: ESTIMATES_TTL_MS })
      : listCustomers(sql, filter, page)
  );
  return {
    items,
    ...pageAnswer(deps.config, scope, paging, next),
    total: Math.min(total, TOTAL_CAP),
    totalIsCapped: total > TOTAL_CAP,
  };
}

async function listCustomers(
  sql: Database["readSql"],
  filter: CustomerFilter,
  page: CustomerPageStart,
) {
  const [slice, total] = await Promise.all([
    queryCustomerPage(sql, filter, page),
    countCustomers(sql, filter, TOTAL_CAP),
  ]);
  return { ...slice, total };
}
