import { createRoute, z } from "@hono/zod-openapi";
import { problemResponses } from "../openapi.ts";

export const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["Operations"],
  summary: "Prometheus metrics (Bearer METRICS_TOKEN when that is set)",
  responses: {
    200: {
      description: "Prometheus text exposition format 0.0.4",
      content: { "text/plain": { schema: z.string() } },
    },
    ...problemResponses(401),
  },
});
