import { z } from "@hono/zod-openapi";
import { CUSTOMER_STATUSES } from "../../domain/customer/customer_status.ts";
import { BUSINESS_DOMAINS } from "../../domain/shared/business_domain.ts";
import { SOURCES } from "../../domain/shared/source.ts";

/** The full company JSON (customer detail, /companies). */
export const CompanySchema = z.object({
  id: z.number().int(),
  companyCode: z.string(),
  companyName: z.string(),
  source: z.enum(SOURCES),
  sourceRefId: z.string().nullable(),
  unifiedSocialCreditCode: z.string().nullable(),
  address: z.string().nullable(),
  contactName: z.string().nullable(),
  contactPhone: z.string().nullable(),
  version: z.number().int(),
  createdAt: z.string().openapi({ format: "date-time" }),
  updatedAt: z.string().openapi({ format: "date-time" }),
}).openapi("Company");

const customerFields = {
  id: z.number().int(),
  customerCode: z.string().openapi({ example: "MN-00000042" }),
  customerName: z.string(),
  businessDomain: z.string().openapi({ example: "GENERAL_WAREHOUSING" }),
  status: z.enum(CUSTOMER_STATUSES),
  mergedIntoId: z.number().int().nullable().openapi({
    description: "The customer this one was merged into (it is then TERMINATED), else null",
  }),
  source: z.enum(SOURCES),
  externalCode: z.string().nullable(),
  contactName: z.string().nullable(),
  contactPhone: z.string().nullable(),
  remark: z.string().nullable(),
  operationUid: z.string(),
  operationName: z.string(),
  version: z.number().int(),
  createdAt: z.string().openapi({ format: "date-time" }),
  updatedAt: z.string().openapi({ format: "date-time" }),
};

/** The Customer JSON of contract section 6. */
export const CustomerSchema = z.object({
  ...customerFields,
  company: z.object({
    id: z.number().int(),
    companyCode: z.string(),
    companyName: z.string(),
  }),
}).openapi("Customer");

/** The customer detail: the full company and the groups listing the customer. */
export const CustomerDetailSchema = z.object({
  ...customerFields,
  company: CompanySchema,
  groups: z.array(z.object({ id: z.number().int(), groupName: z.string() })),
}).openapi("CustomerDetail");

/** A positive database id in a path. */
export const IdParamSchema = z.strictObject({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).openapi({
    param: { name: "id", in: "path" },
    example: 42,
  }),
});

/** An optional positive id in a query. */
export const optionalIdQuery = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER)
  .optional();

/** A business-domain query filter. */
export const businessDomainQuery = z.enum(BUSINESS_DOMAINS).optional();

/** A keyword query filter (blank means no filter). */
export const keywordQuery = z.string().max(100).optional().openapi({
  description: "Case-insensitive substring of the name or the code",
});

/** One possible duplicate of GET /customers/possible-duplicates (contract §10.6). */
export const PossibleDuplicateSchema = z.object({
  customer: CustomerSchema,
  score: z.number().min(0).max(1).openapi({
    description: "1 for the same credit code, else the trigram similarity of the names",
  }),
  reasons: z.array(z.enum(["SAME_CREDIT_CODE", "SIMILAR_NAME"])),
}).openapi("PossibleDuplicate");
