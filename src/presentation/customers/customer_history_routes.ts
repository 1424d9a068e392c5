import { createRoute, z } from "@hono/zod-openapi";
import { problemResponses } from "../openapi.ts";
import { IdParamSchema } from "./customer_schemas.ts";

const FieldChangeSchema = z.object({ old: z.unknown(), new: z.unknown() });

export const CustomerHistoryEntrySchema = z.object({
  id: z.number().int().openapi({ description: "The domain event id" }),
  eventType: z.string().openapi({ example: "CustomerUpdated" }),
  occurredAt: z.string().openapi({ format: "date-time" }),
  operationUid: z.string().nullable().openapi({
    description: "null for events written before operators were recorded",
  }),
  operationName: z.string().nullable(),
  traceId: z.string().nullable(),
  changes: z.record(z.string(), FieldChangeSchema).optional().openapi({
    example: { customerName: { old: "A", new: "B" } },
  }),
  groupId: z.number().int().optional(),
  membership: z.enum(["ADDED", "REMOVED"]).optional(),
  sourceCustomerId: z.number().int().optional(),
  targetCustomerId: z.number().int().optional(),
}).openapi("CustomerHistoryEntry");

export const CustomerHistoryQuerySchema = z.strictObject({
  cursor: z.string().min(1).max(200).optional().openapi({
    description: "nextCursor of the previous page",
  }),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

export const customerHistoryRoute = createRoute({
  method: "get",
  path: "/customers/{id}/history",
  tags: ["Customers"],
  summary: "A customer's history: its changes, status changes, group memberships and merges",
  description: "Newest first. Walk the pages with `cursor` = the previous page's `nextCursor`.",
  security: [{ bearerAuth: [] }],
  request: { params: IdParamSchema, query: CustomerHistoryQuerySchema },
  responses: {
    200: {
      description: "A page of history entries",
      content: {
        "application/json": {
          schema: z.object({
            items: z.array(CustomerHistoryEntrySchema),
            nextCursor: z.string().nullable(),
          }).openapi("CustomerHistoryPage"),
        },
      },
    },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});
