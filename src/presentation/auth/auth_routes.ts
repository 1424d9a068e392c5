import { createRoute, z } from "@hono/zod-openapi";
import { problemResponses } from "../openapi.ts";

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
  responses: {
    200: {
      description: "The current user",
      content: { "application/json": { schema: CurrentUserSchema } },
    },
    ...problemResponses(401, 429),
  },
});
