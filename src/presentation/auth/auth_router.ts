import { createRouter } from "../router.ts";
import { meRoute } from "./auth_routes.ts";

/** /auth/me (the DingTalk login joins it here). */
export function authRouter() {
  return createRouter().openapi(meRoute, (c) => c.json(c.get("user"), 200));
}
