import type { Dependencies } from "../../dependencies.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { Company } from "../../domain/customer/company.ts";
import {
  type CompanyFilter,
  countCompanies,
  queryCompanies as queryCompanyPage,
} from "../../infrastructure/postgres/company_repository.ts";
import type { Page } from "../../presentation/pagination.ts";

/** A page of companies that have a customer in the user's domains (or the one filtered on). */
export async function queryCompanies(
  deps: Pick<Dependencies, "db">,
  command: {
    user: CurrentUser;
    keyword?: string;
    businessDomain?: string;
    sort: CompanyFilter["sort"];
    page: number;
    pageSize: number;
  },
): Promise<Page<Company>> {
  const domains = BusinessDomainGuard.filterDomains(command.user, command.businessDomain);
  const filter = { domains, keyword: command.keyword };
  const [items, total] = await deps.db.read((sql) =>
    Promise.all([
      queryCompanyPage(sql, {
        ...filter,
        sort: command.sort,
        limit: command.pageSize,
        offset: (command.page - 1) * command.pageSize,
      }),
      countCompanies(sql, filter),
    ])
  );
  return { items, page: command.page, pageSize: command.pageSize, total };
}
