import type { Config } from "../../config.ts";
import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { Company } from "../../domain/customer/company.ts";
import {
  type CompanyFilter,
  countCompanies,
  queryCompanies as queryCompanyPage,
} from "../../infrastructure/postgres/company_repository.ts";
import type { Page } from "../shared/page.ts";
import { pageAnswer, pageStart, type PagingInput, sortName } from "../shared/list_paging.ts";

/** A page of companies that have a customer in the user's domains (or the one filtered on). */
export async function queryCompanies(
  deps: { db: Database; config: Config },
  command: {
    user: CurrentUser;
    keyword?: string;
    businessDomain?: string;
    sort: CompanyFilter["sort"];
  } & PagingInput,
): Promise<Page<Company>> {
  const domains = BusinessDomainGuard.filterDomains(command.user, command.businessDomain);
  const filter = { domains, keyword: command.keyword };
  const scope = {
    list: "companies",
    filters: { keyword: command.keyword, businessDomain: command.businessDomain },
    sort: sortName(command.sort),
  };
  const start = pageStart(deps.config, scope, command);
  const [{ items, next }, total] = await deps.db.read((sql) =>
    Promise.all([
      queryCompanyPage(sql, { ...filter, sort: command.sort, ...start }),
      countCompanies(sql, filter),
    ])
  );
  return { items, ...pageAnswer(deps.config, scope, command, next), total };
}
