import type { Dependencies } from "../../dependencies.ts";
import { createRouter } from "../router.ts";
import { healthzRoute, readyzRoute } from "./health_routes.ts";

/** /healthz and /readyz. */
export function healthRouter(deps: Dependencies) {
  return createRouter()
    .openapi(healthzRoute, (c) => c.json({ status: "ok" as const }, 200))
    .openapi(readyzRoute, async (c) => {
      const report = await deps.checkReadiness();
      if (deps.lifecycle.draining) {
        return c.json({ ...report, status: "unavailable" as const, draining: true }, 503);
      }
      return c.json(report, report.status === "ready" ? 200 : 503);
    });
}
