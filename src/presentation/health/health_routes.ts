import { createRoute, z } from "@hono/zod-openapi";

const CheckSchema = z.object({
  status: z.enum(["up", "down", "not_configured"]),
  latencyMs: z.number().optional(),
}).openapi("DependencyCheck");

const ReplicaCheckSchema = z.object({
  status: z.enum(["up", "lagging", "down"]),
  lagMs: z.number().optional(),
  latencyMs: z.number().optional(),
}).openapi("ReplicaCheck");

export const ReadinessSchema = z.object({
  status: z.enum(["ready", "unavailable"]),
  /** True while the instance drains before a shutdown (load balancers take it out first). */
  draining: z.boolean().optional(),
  checks: z.object({
    postgres: CheckSchema,
    redis: CheckSchema,
    mysql: CheckSchema,
    replica: ReplicaCheckSchema.optional(),
  }),
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
