import { createRoute, z } from "@hono/zod-openapi";

const CheckSchema = z.object({
  status: z.enum(["up", "down", "not_configured"]),
  latencyMs: z.number().optional(),
}).openapi("DependencyCheck");

export const ReadinessSchema = z.object({
  status: z.enum(["ready", "unavailable"]),
  checks: z.object({ postgres: CheckSchema, redis: CheckSchema, mysql: CheckSchema }),
}).openapi("Readiness");

export const healthzRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["Operations"],
  summary: "Liveness: the process is up",
  responses: {
    200: {
      description: "Alive",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
  },
});

export const readyzRoute = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["Operations"],
  summary: "Readiness: Postgres, Redis and MySQL (when configured) with their latency",
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: ReadinessSchema } } },
    503: {
      description: "A configured dependency is down",
      content: { "application/json": { schema: ReadinessSchema } },
    },
  },
});
