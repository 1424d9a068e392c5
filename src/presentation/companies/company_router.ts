import { getCompany } from "../../application/company/get_company.ts";
import { queryCompanies } from "../../application/company/query_companies.ts";
import type { Dependencies } from "../../dependencies.ts";
import { parseSort } from "../pagination.ts";
import { createRouter } from "../router.ts";
import { etag } from "../versioning.ts";
import { COMPANY_SORT_FIELDS, getCompanyRoute, listCompaniesRoute } from "./company_routes.ts";

type SortField = typeof COMPANY_SORT_FIELDS[number];

/** /companies: list and detail, limited to companies with a customer in the user's domains. */
export function companyRouter(deps: Dependencies) {
  return createRouter()
    .openapi(listCompaniesRoute, async (c) => {
      const { sort, keyword, ...query } = c.req.valid("query");
      const page = await queryCompanies(deps, {
        user: c.get("user"),
        ...query,
        keyword: keyword?.trim() || undefined,
        sort: parseSort<SortField>(sort),
      });
      return c.json(page, 200);
    })
    .openapi(getCompanyRoute, async (c) => {
      const company = await getCompany(deps, { user: c.get("user"), id: c.req.valid("param").id });
      c.header("ETag", etag(company.version));
      return c.json(company, 200);
    });
}
