import type { Dependencies } from "../../dependencies.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { CustomerView } from "../../domain/customer/customer.ts";
import type { CustomerStatus } from "../../domain/customer/customer_status.ts";
import type { Source } from "../../domain/shared/source.ts";
import {
  countCustomers,
  type CustomerFilter,
  type CustomerSort,
  queryCustomerPage,
  searchCustomers,
} from "../../infrastructure/postgres/customer_repository.ts";
import type { Page } from "../../presentation/pagination.ts";

/**
 * `total` counts matches exactly up to this many; beyond, it is this many and `totalIsCapped` is
 * true (ADR 0062). 1 000 is 50 pages of 20, more than anyone pages through, and keeps the count of
 * a common keyword over a million customers to a few milliseconds.
 */
export const TOTAL_CAP = 1_000;

/** The filters, sort and page of GET /customers. */
export interface QueryCustomersInput {
  keyword?: string;
  businessDomain?: string;
  status?: CustomerStatus;
  source?: Source;
  companyId?: number;
  groupId?: number;
  sort: CustomerSort;
  page: number;
  pageSize: number;
}

/** A page of customers, always restricted to the user's domains (403 for a foreign filter). */
export async function queryCustomers(
  deps: Pick<Dependencies, "db">,
  command: { user: CurrentUser } & QueryCustomersInput,
): Promise<Page<CustomerView>> {
  const domains = BusinessDomainGuard.filterDomains(command.user, command.businessDomain);
  const filter = {
    domains,
    keyword: command.keyword,
    status: command.status,
    source: command.source,
    companyId: command.companyId,
    groupId: command.groupId,
  };
  const page = {
    sort: command.sort,
    limit: command.pageSize,
    offset: (command.page - 1) * command.pageSize,
  };
  // A keyword's plan depends on how many customers match (ADR 0063); other filters are served by
  // the (domain, status, created_at) indexes whatever the count.
  const { items, total } = await deps.db.read((sql) =>
    filter.keyword
      ? searchCustomers(sql, filter, page, { cap: TOTAL_CAP })
      : listCustomers(sql, filter, page)
  );
  return {
    items,
    page: command.page,
    pageSize: command.pageSize,
    total: Math.min(total, TOTAL_CAP),
    totalIsCapped: total > TOTAL_CAP,
  };
}

async function listCustomers(
  sql: Dependencies["db"]["readSql"],
  filter: CustomerFilter,
  page: { sort: CustomerSort; limit: number; offset: number },
) {
  const [items, total] = await Promise.all([
    queryCustomerPage(sql, filter, page),
    countCustomers(sql, filter, TOTAL_CAP),
  ]);
  return { items, total };
}
