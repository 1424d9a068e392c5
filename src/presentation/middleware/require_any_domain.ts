import type { MiddlewareHandler } from "hono";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { AppEnv } from "../env.ts";

/**
 * 403 FORBIDDEN for a user mapped to no business domain, before request validation: such a user
 * may do nothing on a data route, so a malformed request must not answer 400 (contract §4). The
 * use cases still run the guard themselves. POST /customers is left to its use case, which
 * answers the same 403 for any body and also records the FAILED sync row of an import.
 */
export function requireAnyDomain(): MiddlewareHandler<AppEnv> {
  return async function requireAnyDomain(c, next) {
    if (!(c.req.method === "POST" && c.req.path === "/customers")) {
      BusinessDomainGuard.requireAny(c.get("user"));
    }
    await next();
  };
}
