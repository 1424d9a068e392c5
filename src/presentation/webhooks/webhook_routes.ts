import { createRoute, z } from "@hono/zod-openapi";
import { BUSINESS_DOMAINS } from "../../domain/shared/business_domain.ts";
import { DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from "../../domain/webhook/webhook.ts";
import { noQuery, problemResponses } from "../openapi.ts";
import { pagedQuery, pageSchema } from "../pagination.ts";

const json = <T extends z.ZodType>(schema: T) => ({ "application/json": { schema } });
const security = [{ bearerAuth: [] }];
const dateTime = z.string().openapi({ format: "date-time" });

const id = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const WebhookIdParamSchema = z.strictObject({
  id: id.openapi({ param: { name: "id", in: "path" }, example: 1 }),
});
const DeliveryParamSchema = z.strictObject({
  id: id.openapi({ param: { name: "id", in: "path" }, example: 1 }),
  deliveryId: id.openapi({ param: { name: "deliveryId", in: "path" }, example: 7 }),
});

export const WebhookSchema = z.object({
  id: z.number().int(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  businessDomains: z.array(z.string()).nullable().openapi({
    description: "null: events of every business domain",
  }),
  description: z.string().nullable(),
  operationUid: z.string(),
  operationName: z.string(),
  createdAt: dateTime,
  updatedAt: dateTime,
}).openapi("Webhook");

const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description: "whsec_ + base64 of the HMAC key; shown only in this answer",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("CreatedWebhook");

export const CreateWebhookBodySchema = z.strictObject({
  url: z.string().trim().min(1).max(2000).openapi({ example: "https://billing.example.com/hooks" }),
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length * 2),
  businessDomains: z.array(z.enum(BUSINESS_DOMAINS)).min(1).max(BUSINESS_DOMAINS.length * 2)
    .optional().openapi({ description: "Only events of these domains; omitted: every domain" }),
  description: z.string().trim().max(500).nullable().optional(),
}).openapi("CreateWebhookRequest");

export const WebhookDeliverySchema = z.object({
  id: z.number().int(),
  webhookId: z.number().int(),
  eventId: z.number().int(),
  eventType: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  nextAttemptAt: dateTime.nullable(),
  lastAttemptAt: dateTime.nullable(),
  lastResponseStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  deliveredAt: dateTime.nullable(),
  createdAt: dateTime,
}).openapi("WebhookDelivery");

const forbidden = "Only users mapped to every business domain (`*`) may manage webhooks.";

export const createWebhookRoute = createRoute({
  method: "post",
  path: "/webhooks",
  tags: ["Webhooks"],
  summary: "Register a webhook; the answer shows its signing secret once",
  description: `${forbidden} The URL must be https in production and, unless ` +
    "WEBHOOK_ALLOW_PRIVATE=true, must not reach a private, loopback or link-local address (400).",
  security,
  request: { query: noQuery, body: { required: true, content: json(CreateWebhookBodySchema) } },
  responses: {
    201: {
      description: "Created",
      headers: { Location: { description: "/webhooks/{id}", schema: { type: "string" } } },
      content: json(CreatedWebhookSchema),
    },
    ...problemResponses(400, 401, 403, 413, 429),
  },
});

export const listWebhooksRoute = createRoute({
  method: "get",
  path: "/webhooks",
  tags: ["Webhooks"],
  summary: "The registered webhooks, oldest first",
  description: forbidden,
  security,
  request: { query: pagedQuery({}) },
  responses: {
    200: {
      description: "A page of webhooks",
      content: json(pageSchema(WebhookSchema, "WebhookPage")),
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getWebhookRoute = createRoute({
  method: "get",
  path: "/webhooks/{id}",
  tags: ["Webhooks"],
  summary: "A webhook (never its secret)",
  description: forbidden,
  security,
  request: { params: WebhookIdParamSchema, query: noQuery },
  responses: {
    200: { description: "The webhook", content: json(WebhookSchema) },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const deleteWebhookRoute = createRoute({
  method: "delete",
  path: "/webhooks/{id}",
  tags: ["Webhooks"],
  summary: "Delete a webhook and its delivery log",
  description: forbidden,
  security,
  request: { params: WebhookIdParamSchema, query: noQuery },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/webhooks/{id}/deliveries",
  tags: ["Webhooks"],
  summary: "The delivery log of a webhook, newest first",
  description: forbidden,
  security,
  request: {
    params: WebhookIdParamSchema,
    query: z.strictObject({
      status: z.enum(DELIVERY_STATUSES).optional(),
      cursor: z.string().min(1).max(200).optional(),
      pageSize: z.coerce.number().int().min(1).max(100).default(20),
    }),
  },
  responses: {
    200: {
      description: "A page of deliveries",
      content: json(
        z.object({ items: z.array(WebhookDeliverySchema), nextCursor: z.string().nullable() })
          .openapi("WebhookDeliveryPage"),
      ),
    },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const redeliverRoute = createRoute({
  method: "post",
  path: "/webhooks/{id}/deliveries/{deliveryId}/redeliver",
  tags: ["Webhooks"],
  summary: "Queue a FAILED delivery again with fresh attempts",
  description: `${forbidden} A delivery that is not FAILED answers 409.`,
  security,
  request: { params: DeliveryParamSchema, query: noQuery },
  responses: {
    202: { description: "Queued", content: json(WebhookDeliverySchema) },
    ...problemResponses(400, 401, 403, 404, 409, 429),
  },
});
