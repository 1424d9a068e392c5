import { createRoute, z } from "@hono/zod-openapi";
import { BUSINESS_DOMAINS } from "../../domain/shared/business_domain.ts";
import { GROUP_LIMITS } from "../../domain/group/customer_group.ts";
import {
  etagHeader,
  idempotencyKeyHeader,
  ifMatchHeader,
  noQuery,
  problemResponses,
} from "../openapi.ts";
import { pagedQuery, pageSchema, sortQueryField } from "../pagination.ts";

const MAX_MEMBERS_PER_REQUEST = GROUP_LIMITS.maxMemberMax;

export const GROUP_SORT_FIELDS = ["createdAt", "groupName"] as const;

const idParam = z.strictObject({
  id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).openapi({
    param: { name: "id", in: "path" },
    example: 1,
  }),
});

export const CustomerGroupSchema = z.object({
  id: z.number().int(),
  groupName: z.string(),
  businessDomain: z.string(),
  maxMember: z.number().int(),
  description: z.string().nullable(),
  memberCount: z.number().int(),
  operationUid: z.string(),
  operationName: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("CustomerGroup");

export const GroupMemberSchema = z.object({
  customerId: z.number().int(),
  customerCode: z.string(),
  customerName: z.string(),
  status: z.string(),
}).openapi("CustomerGroupMember");

export const CustomerGroupDetailSchema = CustomerGroupSchema.extend({
  members: z.array(GroupMemberSchema).openapi({
    description: "Every member, ordered by customer id (at most maxMember, <= 10000)",
  }),
}).openapi("CustomerGroupDetail");

export const CreateCustomerGroupSchema = z.strictObject({
  groupName: z.string().trim().min(1).max(GROUP_LIMITS.groupNameMax),
  businessDomain: z.enum(BUSINESS_DOMAINS),
  maxMember: z.number().int().min(GROUP_LIMITS.maxMemberMin).max(GROUP_LIMITS.maxMemberMax)
    .optional().openapi({ description: "Default 200", example: 200 }),
  description: z.string().max(GROUP_LIMITS.descriptionMax).nullable().optional(),
}).openapi("CreateCustomerGroup");

export const ReplaceMembersSchema = z.strictObject({
  customerIds: z.array(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER))
    .max(MAX_MEMBERS_PER_REQUEST)
    .openapi({ description: "The complete new member list; ids unique; [] empties the group" }),
}).openapi("ReplaceCustomerGroupMembers");

const groupJson = (description: string) => ({
  description,
  headers: etagHeader,
  content: { "application/json": { schema: CustomerGroupSchema } },
});

export const createGroupRoute = createRoute({
  method: "post",
  path: "/customer-groups",
  tags: ["Customer groups"],
  summary: "Create a customer group in a business domain the user holds",
  security: [{ bearerAuth: [] }],
  request: {
    query: noQuery,
    headers: idempotencyKeyHeader,
    body: {
      required: true,
      content: { "application/json": { schema: CreateCustomerGroupSchema } },
    },
  },
  responses: {
    201: {
      ...groupJson("The new group"),
      headers: {
        ...etagHeader,
        Location: { description: "/customer-groups/{id}", schema: { type: "string" } },
      },
    },
    ...problemResponses(400, 401, 403, 409, 413, 422, 429),
  },
});

export const listGroupsRoute = createRoute({
  method: "get",
  path: "/customer-groups",
  tags: ["Customer groups"],
  summary: "List the groups of the user's business domains, with member counts",
  security: [{ bearerAuth: [] }],
  request: {
    query: pagedQuery({
      businessDomain: z.enum(BUSINESS_DOMAINS).optional(),
      keyword: z.string().max(100).optional().openapi({
        description: "Case-insensitive substring of the group name",
      }),
      sort: sortQueryField(GROUP_SORT_FIELDS, "-createdAt"),
    }),
  },
  responses: {
    200: {
      description: "A page of groups",
      content: {
        "application/json": { schema: pageSchema(CustomerGroupSchema, "CustomerGroupPage") },
      },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getGroupRoute = createRoute({
  method: "get",
  path: "/customer-groups/{id}",
  tags: ["Customer groups"],
  summary: "A group with all its members",
  security: [{ bearerAuth: [] }],
  request: { params: idParam, query: noQuery },
  responses: {
    200: {
      description: "The group and its members",
      headers: etagHeader,
      content: { "application/json": { schema: CustomerGroupDetailSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const replaceMembersRoute = createRoute({
  method: "put",
  path: "/customer-groups/{id}/members",
  tags: ["Customer groups"],
  summary: "Replace all members of a group (atomic; concurrent replacements never mix)",
  security: [{ bearerAuth: [] }],
  request: {
    params: idParam,
    query: noQuery,
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: ReplaceMembersSchema } } },
  },
  responses: {
    200: groupJson("The group with its new member count and version"),
    ...problemResponses(400, 401, 403, 404, 412, 413, 422, 429),
  },
});
