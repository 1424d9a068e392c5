import type { CurrentUser } from "../domain/auth/current_user.ts";

/** Hono context variables set by the middleware chain. */
export interface AppEnv {
  Variables: {
    traceId: string;
    /** Set by the authenticate middleware on protected routes. */
    user: CurrentUser;
    /** Set by the notFound handler: no route matched, so metrics use one fixed route label. */
    routeUnmatched?: boolean;
  };
}
