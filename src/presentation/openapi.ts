import { z } from "@hono/zod-openapi";

/** RFC 9457 problem details as this service answers them. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string().openapi({ example: "VALIDATION_FAILED" }),
  traceId: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
}).openapi("Problem");

const DESCRIPTIONS: Record<number, string> = {
  400: "VALIDATION_FAILED",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "Not found",
  409: "Conflict",
  412: "VERSION_CONFLICT (If-Match is stale)",
  413: "PAYLOAD_TOO_LARGE",
  422: "Unprocessable",
  429: "RATE_LIMITED",
  500: "INTERNAL_ERROR",
  502: "DINGTALK_UNAVAILABLE",
  503: "Unavailable",
};

/** OpenAPI response entries for the given problem statuses, plus the 500 any route can answer. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    [...new Set([...statuses, 500])].map((status) => [status, {
      description: DESCRIPTIONS[status] ?? "Problem",
      content: { "application/problem+json": { schema: ProblemSchema } },
    }]),
  );
}

/** The query of routes that take none: an unknown query field is a 400 like an unknown body field. */
export const noQuery = z.strictObject({});

/** The `ETag: "<version>"` response header of details. */
export const etagHeader = {
  ETag: { description: "Quoted version of the resource", schema: { type: "string" as const } },
};

/** The `If-Match` request header schema of writes. */
export const ifMatchHeader = z.object({
  "if-match": z.string().max(100).optional().openapi({
    description: 'The version the client last read, e.g. "3"; a stale one answers 412',
  }),
});

/** The `Idempotency-Key` request header of idempotent writes (contract §10.4). */
export const idempotencyKeyHeader = z.object({
  "idempotency-key": z.string().min(1).max(255).optional().openapi({
    description: "1-255 printable ASCII characters, scoped to the user and kept 24 h. The same " +
      "request again replays the first answer with `Idempotency-Replayed: true`; another request " +
      "under the key is 422 IDEMPOTENCY_KEY_REUSED; while the first runs, 409 " +
      "IDEMPOTENCY_KEY_IN_USE. 5xx answers are not kept.",
  }),
});
