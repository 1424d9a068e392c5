import type { MiddlewareHandler } from "hono";
import type { RoleMappingGateway, TokenVerifier } from "../../domain/auth/auth_ports.ts";
import { AppError } from "../../shared/errors.ts";
import { currentContext } from "../../shared/request_context.ts";
import type { AppEnv } from "../env.ts";

const BEARER = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)\s*$/i;

/** Extracts the bearer token; 401 UNAUTHENTICATED when missing or malformed. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw new AppError("UNAUTHENTICATED", "missing Authorization: Bearer <token>");
  const match = header.match(BEARER);
  if (!match) {
    throw new AppError("UNAUTHENTICATED", "Authorization header is not a Bearer JWT");
  }
  return match[1];
}

/** Verifies the bearer token and sets the CurrentUser (with its domains) on the context. */
export function authenticate(
  deps: { verifyToken: TokenVerifier; roleMapping: RoleMappingGateway },
): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const claims = await deps.verifyToken(bearerToken(c.req.header("authorization")));
    const context = currentContext();
    if (context) {
      context.dingUserId = claims.dingUserId;
      context.dingUserName = claims.name;
    }
    c.set("user", await deps.roleMapping.currentUser(claims));
    await next();
  };
}
