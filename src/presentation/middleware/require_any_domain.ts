import type { MiddlewareHandler } from "hono";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { AppEnv } from "../env.ts";

/**
 * 403 FORBIDDEN for a user mapped to no business domain, before request validation: such a user
 * may do nothing on a data route, so a malformed request must not answer 400 (contract §4). The
 * use cases still run the guard themselves. No route is exempt: such a user leaves no trace
 * either, not even the FAILED sync row of a rejected import (contract §10.2).
 */
export function requireAnyDomain(): MiddlewareHandler<AppEnv> {
  return async function requireAnyDomain(c, next) {
    BusinessDomainGuard.requireAny(c.get("user"));
    await next();
  };
}
