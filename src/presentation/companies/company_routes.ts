import { createRoute } from "@hono/zod-openapi";
import { etagHeader, noQuery, problemResponses } from "../openapi.ts";
import { pagedQuery, pageSchema, sortQueryField } from "../pagination.ts";
import {
  businessDomainQuery,
  CompanySchema,
  IdParamSchema,
  keywordQuery,
} from "../customers/customer_schemas.ts";

export const COMPANY_SORT_FIELDS = ["createdAt", "companyName", "companyCode"] as const;

export const ListCompaniesQuerySchema = pagedQuery({
  keyword: keywordQuery,
  businessDomain: businessDomainQuery,
  sort: sortQueryField(COMPANY_SORT_FIELDS, "-createdAt"),
});

export const listCompaniesRoute = createRoute({
  method: "get",
  path: "/companies",
  tags: ["Companies"],
  summary: "Companies that have a customer in the user's business domains",
  security: [{ bearerAuth: [] }],
  request: { query: ListCompaniesQuerySchema },
  responses: {
    200: {
      description: "A page of companies",
      content: { "application/json": { schema: pageSchema(CompanySchema, "CompanyPage") } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getCompanyRoute = createRoute({
  method: "get",
  path: "/companies/{id}",
  tags: ["Companies"],
  summary: "A company that has a customer in the user's business domains",
  security: [{ bearerAuth: [] }],
  request: { params: IdParamSchema, query: noQuery },
  responses: {
    200: {
      description: "The company",
      headers: etagHeader,
      content: { "application/json": { schema: CompanySchema } },
    },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});
