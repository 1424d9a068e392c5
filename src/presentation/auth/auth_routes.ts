import { createRoute, z } from "@hono/zod-openapi";
import { noQuery, problemResponses } from "../openapi.ts";

export const CurrentUserSchema = z.object({
  dingUserId: z.string(),
  name: z.string(),
  unionId: z.string(),
  roles: z.array(z.string()),
  positions: z.array(z.string()),
  departments: z.array(z.string()),
  domainCodes: z.array(z.string()).openapi({
    description:
      "Business domains granted by the role mapping; empty means every data route is 403",
  }),
}).openapi("CurrentUser");

export const meRoute = createRoute({
  method: "get",
  path: "/auth/me",
  tags: ["Auth"],
  summary: "The current user with the business domains their DingTalk roles grant",
  security: [{ bearerAuth: [] }],
  request: { query: noQuery },
  responses: {
    200: {
      description: "The current user",
      content: { "application/json": { schema: CurrentUserSchema } },
    },
    ...problemResponses(401, 429),
  },
});

export const LoginRequestSchema = z.strictObject({
  authCode: z.string().min(1).max(512).openapi({
    description: "The temporary login code DingTalk gave the client (OAuth2 authorization code)",
    example: "5c1c0f3c2a1b3b5e8f0e1d2c3b4a5968",
  }),
}).openapi("DingTalkLoginRequest");

export const LoginResponseSchema = z.object({
  accessToken: z.string().openapi({ description: "A JWT signed by this service" }),
  tokenType: z.literal("Bearer"),
  expiresIn: z.number().int().openapi({ description: "Lifetime of the token in seconds" }),
  user: CurrentUserSchema,
}).openapi("DingTalkLoginResponse");

export const dingTalkLoginRoute = createRoute({
  method: "post",
  path: "/auth/dingtalk/login",
  tags: ["Auth"],
  summary: "Exchange a DingTalk login code for a token of this service",
  description:
    "Public. Exchanges the code at DingTalk (user access token, unionId, corp userid, user " +
    "detail) and answers a bearer token whose claims carry the user's DingTalk roles, title and " +
    "departments. 401 AUTHENTICATION_FAILED when DingTalk rejects the code, 502 " +
    "DINGTALK_UNAVAILABLE when DingTalk fails or times out, 503 SERVICE_UNAVAILABLE when the " +
    "DingTalk app or a signing key is not configured.",
  request: {
    query: noQuery,
    body: {
      required: true,
      content: { "application/json": { schema: LoginRequestSchema } },
    },
  },
  responses: {
    200: {
      description: "Logged in",
      content: { "application/json": { schema: LoginResponseSchema } },
    },
    ...problemResponses(400, 401, 413, 429, 502, 503),
  },
});
