import type { Config } from "../../config.ts";
import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { CustomerGroup } from "../../domain/group/customer_group.ts";
import { listCustomerGroups } from "../../infrastructure/postgres/customer_group_repository.ts";
import type { Page } from "../shared/page.ts";
import { pageAnswer, pageStart, type PagingInput, sortName } from "../shared/list_paging.ts";

/** Input of queryCustomerGroups (already validated: page >= 1, pageSize 1..100). */
export interface QueryCustomerGroupsQuery extends PagingInput {
  user: CurrentUser;
  businessDomain?: string;
  keyword?: string;
  sort: { field: "createdAt" | "groupName"; direction: "asc" | "desc" };
}

/** A page of the groups of the user's domains (or of the one requested, 403 if not held). */
export async function queryCustomerGroups(
  deps: { db: Database; config: Config },
  { user, ...query }: QueryCustomerGroupsQuery,
): Promise<Page<CustomerGroup>> {
  const businessDomains = BusinessDomainGuard.filterDomains(user, query.businessDomain);
  const keyword = query.keyword?.trim() || undefined;
  const scope = {
    list: "customer-groups",
    filters: { keyword, businessDomain: query.businessDomain },
    sort: sortName(query.sort),
  };
  const start = pageStart(deps.config, scope, query);
  const { items, next, total } = await deps.db.read((sql) =>
    listCustomerGroups(sql, { businessDomains, keyword, sort: query.sort, ...start })
  );
  return { items, ...pageAnswer(deps.config, scope, query, next), total };
}
