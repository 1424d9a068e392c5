import { type LoginDeps, loginWithDingTalk } from "../../application/auth/login_with_dingtalk.ts";
import { createRouter } from "../router.ts";
import { dingTalkLoginRoute, meRoute } from "./auth_routes.ts";

/** /auth/me (protected by app.ts) and the public POST /auth/dingtalk/login. */
export function authRouter(deps: LoginDeps) {
  return createRouter()
    .openapi(meRoute, (c) => c.json(c.get("user"), 200))
    .openapi(dingTalkLoginRoute, async (c) => {
      const { authCode } = c.req.valid("json");
      return c.json(await loginWithDingTalk(deps, { authCode }), 200);
    });
}
