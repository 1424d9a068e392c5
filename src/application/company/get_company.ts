import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { Company } from "../../domain/customer/company.ts";
import { findVisibleCompany } from "../../infrastructure/postgres/company_repository.ts";
import { AppError } from "../../shared/errors.ts";
import { bindLogFields } from "../../shared/request_context.ts";

/** A company with a customer in the user's domains; 404 COMPANY_NOT_FOUND otherwise. */
export async function getCompany(
  deps: { db: Database },
  command: { user: CurrentUser; id: number },
): Promise<Company> {
  const domains = BusinessDomainGuard.visibleDomains(command.user);
  bindLogFields({ companyId: command.id });
  const company = await findVisibleCompany(deps.db.sql, command.id, domains);
  if (!company) throw new AppError("COMPANY_NOT_FOUND", `company ${command.id} does not exist`);
  return company;
}
