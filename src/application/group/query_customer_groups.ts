import type { Dependencies } from "../../dependencies.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { CustomerGroup } from "../../domain/group/customer_group.ts";
import { listCustomerGroups } from "../../infrastructure/postgres/customer_group_repository.ts";

/** Input of queryCustomerGroups (already validated: page >= 1, pageSize 1..100). */
export interface QueryCustomerGroupsQuery {
  user: CurrentUser;
  businessDomain?: string;
  keyword?: string;
  sort: { field: "createdAt" | "groupName"; direction: "asc" | "desc" };
  page: number;
  pageSize: number;
}

/** A page of the groups of the user's domains (or of the one requested, 403 if not held). */
export async function queryCustomerGroups(
  deps: Pick<Dependencies, "db">,
  { user, ...query }: QueryCustomerGroupsQuery,
): Promise<{ items: CustomerGroup[]; page: number; pageSize: number; total: number }> {
  const businessDomains = BusinessDomainGuard.filterDomains(user, query.businessDomain);
  const keyword = query.keyword?.trim() || undefined;
  const { items, total } = await deps.db.read((sql) =>
    listCustomerGroups(sql, {
      businessDomains,
      keyword,
      sort: query.sort,
      page: query.page,
      pageSize: query.pageSize,
    })
  );
  return { items, page: query.page, pageSize: query.pageSize, total };
}
