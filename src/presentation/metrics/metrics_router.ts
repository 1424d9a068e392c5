import type { Dependencies } from "../../dependencies.ts";
import { AppError } from "../../shared/errors.ts";
import { createRouter } from "../router.ts";
import { metricsRoute } from "./metrics_routes.ts";

/** Compares in constant time, so the token cannot be guessed byte by byte from timings. */
function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let difference = a.length ^ b.length;
  for (let index = 0; index < b.length; index++) difference |= (a[index] ?? 0) ^ b[index];
  return difference === 0;
}

/** GET /metrics: public unless METRICS_TOKEN is set, then `Authorization: Bearer <token>`. */
export function metricsRouter(deps: Pick<Dependencies, "config" | "metrics">) {
  const token = deps.config.METRICS_TOKEN;
  return createRouter().openapi(metricsRoute, async (c) => {
    if (token) {
      const given = c.req.header("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? "";
      if (!sameSecret(given, token)) {
        throw new AppError("UNAUTHENTICATED", "metrics need Authorization: Bearer <METRICS_TOKEN>");
      }
    }
    return c.text(await deps.metrics.render(), 200, { "content-type": deps.metrics.contentType });
  });
}
