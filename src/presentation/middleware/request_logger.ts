import type { MiddlewareHandler } from "hono";
import { logger } from "../../shared/logger.ts";
import type { AppEnv } from "../env.ts";

/** Observes a finished request, e.g. for metrics; `route` is the matched route template. */
export type RequestObserver = (
  request: { method: string; route: string; status: number; durationMs: number },
) => void;

/** Logs one JSON line per request; slower than `slowMs` is logged at warn. */
export function requestLogger(
  options: { slowMs?: number; observe?: RequestObserver } = {},
): MiddlewareHandler<AppEnv> {
  const slowMs = options.slowMs ?? 500;
  return async function requestLogger(c, next) {
    const started = performance.now();
    await next();
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    const status = c.res.status;
    // Labels come from fixed sets (contract §10.3): a route template or one label for no route.
    const routePath = c.req.routePath;
    const route = c.get("routeUnmatched") || !routePath || routePath === "/*"
      ? "unmatched"
      : routePath;
    options.observe?.({ method: c.req.method, route, status, durationMs });
    const fields = { method: c.req.method, path: c.req.path, status, duration_ms: durationMs };
    if (status >= 500) logger.error("request failed", fields);
    else if (durationMs > slowMs) logger.warn("slow request", fields);
    else logger.info("request", fields);
  };
}
