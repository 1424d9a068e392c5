import type { CurrentUser } from "../domain/auth/current_user.ts";

/** Hono context variables set by the middleware chain. */
export interface AppEnv {
  Variables: {
    traceId: string;
    /** Set by the authenticate middleware on protected routes. */
    user: CurrentUser;
  };
}
