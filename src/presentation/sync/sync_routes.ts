import { createRoute, z } from "@hono/zod-openapi";
import { SOURCES } from "../../domain/shared/source.ts";
import { MAX_HTTP_IMPORT_ROWS } from "../../application/sync/import_external_customers.ts";
import { idempotencyKeyHeader, noQuery, problemResponses } from "../openapi.ts";
import { pagedQuery, pageSchema, sortQueryField } from "../pagination.ts";

const RemoteIdSchema = z.string().trim().min(1).max(64);

/** A sync record is created when it is synced, so `createdAt` sorts by `syncedAt` too. */
export const SYNC_SORT_FIELDS = ["createdAt", "syncedAt"] as const;

export const SyncRecordSchema = z.object({
  id: z.number().int(),
  entityType: z.enum(["CUSTOMER", "COMPANY"]),
  entityId: z.number().int().nullable(),
  source: z.enum(SOURCES),
  remoteId: z.string(),
  businessDomain: z.string().nullable(),
  syncStatus: z.enum(["SUCCESS", "FAILED"]),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  traceId: z.string().nullable(),
  operationUid: z.string().nullable(),
  syncedAt: z.string().openapi({ example: "2026-01-31T08:00:00.000Z" }),
}).openapi("SyncRecord");

export const ImportRequestSchema = z.strictObject({
  source: z.literal("RB").openapi({
    description: "The external source; RB is the only one with a configured database",
  }),
  remoteIds: z.array(RemoteIdSchema).min(1).max(MAX_HTTP_IMPORT_ROWS)
    .refine((ids) => new Set(ids).size === ids.length, "remote ids must be unique")
    .optional().openapi({ description: "Import only these rows" }),
  updatedSince: z.iso.datetime({ offset: true }).optional().openapi({
    description: "Import only rows whose updated_at is at or after this instant",
    example: "2024-03-01T00:00:00Z",
  }),
}).openapi("ExternalImportRequest");

export const ImportItemSchema = z.object({
  remoteId: z.string(),
  syncStatus: z.enum(["SUCCESS", "FAILED"]),
  customerId: z.number().int().optional().openapi({ description: "SUCCESS items only" }),
  errorCode: z.string().optional().openapi({
    description: "FAILED items only: the contract code the same failure answers over HTTP",
  }),
}).openapi("ExternalImportItem");

export const ImportSummarySchema = z.object({
  imported: z.number().int(),
  skipped: z.number().int().openapi({
    description: "Rows whose (source, remoteId) had already succeeded; listed as SUCCESS items",
  }),
  failed: z.number().int(),
  items: z.array(ImportItemSchema),
}).openapi("ExternalImportSummary");

export const importRoute = createRoute({
  method: "post",
  path: "/external-sync/import",
  tags: ["External sync"],
  summary: "Import customers from the external source (at most 1000 rows per request)",
  description: "Runs every matching rb_customer row through the create use case with source RB. " +
    "Rows already imported are skipped, rows of a domain the user lacks fail FORBIDDEN, bad " +
    "rows fail with the code POST /customers would answer; each failure is recorded. More than " +
    `${MAX_HTTP_IMPORT_ROWS} matching rows is 400: use \`deno task sync-external\`. 503 ` +
    "EXTERNAL_SOURCE_NOT_CONFIGURED when EXTERNAL_MYSQL_URL is unset.",
  security: [{ bearerAuth: [] }],
  request: {
    query: noQuery,
    headers: idempotencyKeyHeader,
    body: { required: true, content: { "application/json": { schema: ImportRequestSchema } } },
  },
  responses: {
    200: {
      description: "Per-row outcome, also when some rows failed",
      content: { "application/json": { schema: ImportSummarySchema } },
    },
    ...problemResponses(400, 401, 403, 409, 413, 422, 429, 503),
  },
});

export const listSyncRecordsRoute = createRoute({
  method: "get",
  path: "/external-sync",
  tags: ["External sync"],
  summary: "Sync records of the user's business domains, newest first",
  security: [{ bearerAuth: [] }],
  request: {
    query: pagedQuery({
      entityType: z.enum(["CUSTOMER", "COMPANY"]).optional(),
      entityId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
      remoteId: z.string().min(1).max(64).optional(),
      source: z.enum(SOURCES).optional(),
      syncStatus: z.enum(["SUCCESS", "FAILED"]).optional(),
      sort: sortQueryField(SYNC_SORT_FIELDS, "-createdAt"),
    }),
  },
  responses: {
    200: {
      description: "A page of sync records",
      content: { "application/json": { schema: pageSchema(SyncRecordSchema, "SyncRecordPage") } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});
