import type { Context, MiddlewareHandler } from "hono";
import type { Dependencies } from "../../dependencies.ts";
import type { RateLimitDecision, RateLimiter } from "../../application/ports/rate_limiter.ts";
import { AppError } from "../../shared/errors.ts";
import { currentContext } from "../../shared/request_context.ts";
import type { AppEnv } from "../env.ts";
import { bearerToken } from "./authenticate.ts";

/** Probes and scrapes must never be throttled: an orchestrator would restart a busy instance. */
const EXEMPT_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

/** The client address when Deno served the request; `unknown` under app.request() in tests. */
function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    // The right-most entry was appended by our (one) trusted proxy; entries left of it are
    // whatever the client sent and could be forged to dodge the limit.
    const forwarded = c.req.header("x-forwarded-for")?.split(",").map((part) => part.trim());
    const last = forwarded?.filter(Boolean).at(-1);
    if (last) return last;
  }
  // What getConnInfo from "hono/deno" reads (deprecated there), without throwing when absent.
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return info?.remoteAddr?.hostname ?? "unknown";
}

/** `user:<sub>` for a valid bearer token, else `ip:<address>` (contract section 8). */
async function rateLimitKey(
  c: Context,
  deps: Pick<Dependencies, "config" | "verifyToken">,
): Promise<string> {
  const header = c.req.header("authorization");
  if (header) {
    try {
      const claims = await deps.verifyToken(bearerToken(header));
      // Bound now so that the log line of a 429 names the user it throttled.
      const context = currentContext();
      if (context) context.dingUserId = claims.dingUserId;
      return `user:${claims.dingUserId}`;
    } catch {
      // An invalid token is anonymous traffic; the route's own authentication answers 401.
    }
  }
  return `ip:${clientIp(c, deps.config.TRUST_PROXY)}`;
}

function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(decision.resetSeconds),
  };
}

/**
 * Counts every request (except probes and /metrics) against RATE_LIMIT_PER_MINUTE per user or,
 * without a valid token, per client IP; answers 429 RATE_LIMITED with Retry-After beyond it.
 * It verifies the token itself so it does not depend on where authentication runs.
 */
export function rateLimit(
  deps: Pick<Dependencies, "config" | "verifyToken"> & { rateLimiter: RateLimiter },
): MiddlewareHandler<AppEnv> {
  const limiter = deps.rateLimiter;
  return async function rateLimit(c, next) {
    if (EXEMPT_PATHS.has(c.req.path)) return await next();
    const decision = await limiter.consume(await rateLimitKey(c, deps));
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed) {
      throw new AppError(
        "RATE_LIMITED",
        `more than ${decision.limit} requests per minute; retry in ${decision.resetSeconds} s`,
        { headers: { ...headers, "Retry-After": String(decision.resetSeconds) } },
      );
    }
    // Before the handler (its response takes them along, no copy of a finished response);
    // again after it for problem documents, which are built without the context.
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
    if (!c.res.headers.has("RateLimit-Limit")) {
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
    }
  };
}
