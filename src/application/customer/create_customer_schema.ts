import { z } from "@hono/zod-openapi";
import { BUSINESS_DOMAINS } from "../../domain/shared/business_domain.ts";
import { SOURCES } from "../../domain/shared/source.ts";
import { SOURCE_REF_PATTERN, sourceRefProblem } from "../../domain/customer/company.ts";
import { INITIAL_STATUSES } from "../../domain/customer/customer.ts";
import { isValidUnifiedSocialCreditCode } from "../../domain/customer/unified_social_credit_code.ts";
import { AppError } from "../../shared/errors.ts";
import { fieldErrors } from "../../shared/field_errors.ts";

/** A trimmed, bounded string (blank is rejected, so `"  "` is not a name). */
export function boundedText(max: number) {
  return z.string().trim().min(1, "must not be blank").max(max, `at most ${max} characters`);
}

export const CustomerNameSchema = boundedText(200).openapi({ example: "Acme Shanghai" });
export const ContactNameSchema = boundedText(100);
export const ContactPhoneSchema = boundedText(40);
export const RemarkSchema = z.string().max(2000, "at most 2000 characters");
export const BusinessDomainSchema = z.enum(BUSINESS_DOMAINS);
export const SourceSchema = z.enum(SOURCES);

const UsccSchema = z.string().trim().toUpperCase().refine(isValidUnifiedSocialCreditCode, {
  message: "not a valid unified social credit code (18 characters, GB 32100-2015 check character)",
}).openapi({ example: "91350100M000100Y43" });

const CustomerPartSchema = z.strictObject({
  customerName: CustomerNameSchema,
  businessDomain: BusinessDomainSchema,
  source: SourceSchema.optional().openapi({ description: "Defaults to MANUAL" }),
  externalCode: boundedText(64).optional().openapi({
    description: "The customer's code in its source; the customer code becomes PREFIX-externalCode",
  }),
  contactName: ContactNameSchema.optional(),
  contactPhone: ContactPhoneSchema.optional(),
  remark: RemarkSchema.optional(),
  status: z.enum(INITIAL_STATUSES).optional().openapi({ description: "Defaults to PENDING" }),
});

const CompanyPartSchema = z.strictObject({
  companyCode: boundedText(64).optional(),
  sourceRefId: z.string().regex(SOURCE_REF_PATTERN, "1-64 characters of A-Z, a-z, 0-9, _ and -")
    .optional(),
  companyName: boundedText(200).optional().openapi({
    description: "With a name the company is upserted; without one it must exist (422)",
  }),
  source: SourceSchema.optional().openapi({
    description: "Defaults to the customer's source with a sourceRefId, else MANUAL",
  }),
  unifiedSocialCreditCode: UsccSchema.optional(),
  address: boundedText(500).optional(),
  contactName: ContactNameSchema.optional(),
  contactPhone: ContactPhoneSchema.optional(),
});

/** The strict body of POST /customers (also validated by createCustomer for imports). */
export const CreateCustomerBodySchema = z.strictObject({
  customer: CustomerPartSchema,
  company: CompanyPartSchema,
  remoteId: boundedText(64).optional().openapi({
    description: "The record id in the source system; required unless the source is MANUAL",
  }),
}).superRefine((body, ctx) => {
  const source = body.customer.source ?? "MANUAL";
  if (source !== "MANUAL" && body.remoteId === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["remoteId"],
      message: `remoteId is required for source ${source}`,
    });
  }
  // A company without any key nor name is not a validation error: it "must exist" and cannot be
  // found, 422 COMPANY_NOT_FOUND (contract section 6), like any other unknown reference.
  const company = body.company;
  // A given but malformed sourceRefId is already reported by its field schema (one entry per field).
  if (company.companyName !== undefined && company.sourceRefId === undefined) {
    const problem = sourceRefProblem(companySource(body), company.sourceRefId);
    if (problem) {
      ctx.addIssue({ code: "custom", path: ["company", "sourceRefId"], message: problem });
    }
  }
}).openapi("CreateCustomerRequest");

/** The validated POST /customers body. */
export type CreateCustomerBody = z.infer<typeof CreateCustomerBodySchema>;

/** The company's source: explicit, else the customer's when a sourceRefId is given, else MANUAL. */
export function companySource(
  body: { customer: { source?: string }; company: { source?: string; sourceRefId?: string } },
): (typeof SOURCES)[number] {
  if (body.company.source) return body.company.source as (typeof SOURCES)[number];
  if (body.company.sourceRefId) {
    return (body.customer.source ?? "MANUAL") as (typeof SOURCES)[number];
  }
  return "MANUAL";
}

/** Validates a create command (HTTP body or import row); 400 VALIDATION_FAILED with errors. */
export function parseCreateCustomerInput(input: unknown): CreateCustomerBody {
  const result = CreateCustomerBodySchema.safeParse(input);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error);
  throw new AppError(
    "VALIDATION_FAILED",
    `invalid customer: ${[...new Set(errors.map((e) => e.path))].join(", ")}`,
    { errors },
  );
}
