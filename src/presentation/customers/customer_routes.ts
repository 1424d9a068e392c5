import { createRoute, z } from "@hono/zod-openapi";
import {
  BusinessDomainSchema,
  ContactNameSchema,
  ContactPhoneSchema,
  CreateCustomerBodySchema,
  CustomerNameSchema,
  RemarkSchema,
  SourceSchema,
} from "../../application/customer/create_customer_schema.ts";
import { CUSTOMER_STATUSES } from "../../domain/customer/customer_status.ts";
import { BUSINESS_DOMAINS } from "../../domain/shared/business_domain.ts";
import {
  etagHeader,
  idempotencyKeyHeader,
  ifMatchHeader,
  noQuery,
  problemResponses,
} from "../openapi.ts";
import { pagedQuery, pageSchema, sortQueryField } from "../pagination.ts";
import {
  businessDomainQuery,
  CustomerDetailSchema,
  CustomerSchema,
  IdParamSchema,
  keywordQuery,
  optionalIdQuery,
  PossibleDuplicateSchema,
} from "./customer_schemas.ts";

export { CreateCustomerBodySchema };

export const CUSTOMER_SORT_FIELDS = ["createdAt", "customerName", "customerCode"] as const;

const json = <T extends z.ZodType>(schema: T) => ({ "application/json": { schema } });

export const createCustomerRoute = createRoute({
  method: "post",
  path: "/customers",
  tags: ["Customers"],
  summary: "Create or import a customer with its company, in one transaction",
  description: "The company is found by companyCode, else by (source, sourceRefId), else by " +
    "unifiedSocialCreditCode; with a companyName it is upserted, without one it must exist. " +
    "With a remoteId (required unless the source is MANUAL) a sync record is written; a second " +
    "import of an already successful (source, remoteId) answers 200 with the existing customer.",
  security: [{ bearerAuth: [] }],
  request: {
    query: noQuery,
    headers: idempotencyKeyHeader,
    body: { required: true, content: json(CreateCustomerBodySchema) },
  },
  responses: {
    201: {
      description: "Created",
      headers: {
        Location: { description: "/customers/{id}", schema: { type: "string" } },
        ...etagHeader,
      },
      content: json(CustomerSchema),
    },
    200: {
      description: "Replay of an earlier successful import of (source, remoteId)",
      headers: etagHeader,
      content: json(CustomerSchema),
    },
    ...problemResponses(400, 401, 403, 409, 413, 422, 429),
  },
});

/** The filters and sort of GET /customers, shared by its export. */
const customerListFields = {
  keyword: keywordQuery,
  businessDomain: businessDomainQuery,
  status: z.enum(CUSTOMER_STATUSES).optional(),
  source: SourceSchema.optional(),
  companyId: optionalIdQuery,
  groupId: optionalIdQuery,
  sort: sortQueryField(CUSTOMER_SORT_FIELDS, "-createdAt"),
};

export const ListCustomersQuerySchema = pagedQuery(customerListFields);

export const listCustomersRoute = createRoute({
  method: "get",
  path: "/customers",
  tags: ["Customers"],
  summary: "List customers of the user's business domains",
  security: [{ bearerAuth: [] }],
  request: { query: ListCustomersQuerySchema },
  responses: {
    200: {
      description: "A page of customers",
      content: json(pageSchema(CustomerSchema, "CustomerPage")),
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const exportCustomersRoute = createRoute({
  method: "get",
  path: "/customers/export",
  tags: ["Customers"],
  summary: "Every customer matching the filters of GET /customers, as CSV or NDJSON",
  description: "Streams all matching customers of the user's business domains in the list's " +
    "sort order. CSV (default): UTF-8 with a byte-order mark, a header row of the Customer " +
    "field names with the company as companyCode and companyName, RFC 4180 quoting; a text " +
    "cell that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR, " +
    "unless it is number-like such as +86 138...) is prefixed with an apostrophe. " +
    "`Accept: application/x-ndjson`: one Customer JSON per line, unchanged. One export per " +
    "user at a time (429 RATE_LIMITED with Retry-After while one is running).",
  security: [{ bearerAuth: [] }],
  request: { query: z.strictObject(customerListFields) },
  responses: {
    200: {
      description: "The customers, streamed",
      content: {
        "text/csv": { schema: z.string() },
        "application/x-ndjson": { schema: z.string() },
      },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getCustomerRoute = createRoute({
  method: "get",
  path: "/customers/{id}",
  tags: ["Customers"],
  summary: "A customer with its company and groups",
  security: [{ bearerAuth: [] }],
  request: { params: IdParamSchema, query: noQuery },
  responses: {
    200: { description: "The customer", headers: etagHeader, content: json(CustomerDetailSchema) },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const UpdateCustomerBodySchema = z.strictObject({
  customerName: CustomerNameSchema.optional(),
  contactName: ContactNameSchema.nullable().optional(),
  contactPhone: ContactPhoneSchema.nullable().optional(),
  remark: RemarkSchema.nullable().optional(),
  businessDomain: BusinessDomainSchema.optional().openapi({
    description: "Moving needs both domains and removes the customer from groups of the old one",
  }),
}).refine((body) => Object.values(body).some((value) => value !== undefined), {
  message: "give at least one field to change",
}).openapi("UpdateCustomerRequest");

export const updateCustomerRoute = createRoute({
  method: "patch",
  path: "/customers/{id}",
  tags: ["Customers"],
  summary: "Update a customer's name, contact, remark or business domain",
  security: [{ bearerAuth: [] }],
  request: {
    params: IdParamSchema,
    query: noQuery,
    headers: ifMatchHeader,
    body: { required: true, content: json(UpdateCustomerBodySchema) },
  },
  responses: {
    200: {
      description: "The updated customer",
      headers: etagHeader,
      content: json(CustomerDetailSchema),
    },
    ...problemResponses(400, 401, 403, 404, 409, 412, 413, 429),
  },
});

export const UpdateCustomerStatusBodySchema = z.strictObject({
  status: z.enum(CUSTOMER_STATUSES),
  reason: z.string().trim().max(500).optional(),
}).openapi("UpdateCustomerStatusRequest");

export const updateCustomerStatusRoute = createRoute({
  method: "patch",
  path: "/customers/{id}/status",
  tags: ["Customers"],
  summary: "Change a customer's status through the status machine",
  description: "PENDING -> ACTIVE | TERMINATED, ACTIVE -> SUSPENDED | TERMINATED, " +
    "SUSPENDED -> ACTIVE | TERMINATED; TERMINATED is final.",
  security: [{ bearerAuth: [] }],
  request: {
    params: IdParamSchema,
    query: noQuery,
    headers: ifMatchHeader,
    body: { required: true, content: json(UpdateCustomerStatusBodySchema) },
  },
  responses: {
    200: {
      description: "The updated customer",
      headers: etagHeader,
      content: json(CustomerDetailSchema),
    },
    ...problemResponses(400, 401, 403, 404, 409, 412, 413, 429),
  },
});

export const PossibleDuplicatesQuerySchema = z.strictObject({
  customerName: z.string().trim().min(1).max(200).openapi({
    description: "Compared after NFKC, case folding and whitespace collapsing",
  }),
  businessDomain: z.enum(BUSINESS_DOMAINS).openapi({ description: "Must be one of the user's" }),
  unifiedSocialCreditCode: z.string().trim().toUpperCase().regex(/^[0-9A-Z]{18}$/, {
    message: "expected 18 letters or digits",
  }).optional(),
});

export const possibleDuplicatesRoute = createRoute({
  method: "get",
  path: "/customers/possible-duplicates",
  tags: ["Customers"],
  summary: "Customers of a domain that may duplicate the one described",
  description: "Customers of the domain whose company has the credit code (SAME_CREDIT_CODE, " +
    "score 1) or whose normalised name has a trigram similarity of at least 0.6 (SIMILAR_NAME), " +
    "best first, at most 20. Terminated and merged customers are left out.",
  security: [{ bearerAuth: [] }],
  request: { query: PossibleDuplicatesQuerySchema },
  responses: {
    200: {
      description: "The candidates, best first",
      content: json(z.object({ items: z.array(PossibleDuplicateSchema) })),
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const MergeCustomerBodySchema = z.strictObject({
  sourceCustomerId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).openapi({
    description: "The duplicate customer merged into the one in the path (then TERMINATED)",
  }),
}).openapi("MergeCustomerRequest");

export const mergeCustomerRoute = createRoute({
  method: "post",
  path: "/customers/{id}/merge",
  tags: ["Customers"],
  summary: "Merge a duplicate customer into this one",
  description: "Both customers visible and in one business domain (else 422 DOMAIN_MISMATCH), " +
    "different (else 422 VALIDATION_FAILED), neither merged nor terminated (else 409 " +
    "INVALID_STATUS_TRANSITION). In one transaction the source's group memberships move to this " +
    "customer (a group listing both keeps one), its sync records point here, it becomes " +
    "TERMINATED with mergedIntoId, and one CustomerMerged event is written. If-Match is this " +
    "customer's version.",
  security: [{ bearerAuth: [] }],
  request: {
    params: IdParamSchema,
    query: noQuery,
    headers: ifMatchHeader,
    body: { required: true, content: json(MergeCustomerBodySchema) },
  },
  responses: {
    200: {
      description: "The customer kept, with the source's groups",
      headers: etagHeader,
      content: json(CustomerDetailSchema),
    },
    ...problemResponses(400, 401, 403, 404, 409, 412, 413, 422, 429),
  },
});
