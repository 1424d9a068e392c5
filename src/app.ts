import { bodyLimit } from "hono/body-limit";
import type { Dependencies } from "./dependencies.ts";
import { authRouter } from "./presentation/auth/auth_router.ts";
import { companyRouter } from "./presentation/companies/company_router.ts";
import { customerHistoryRouter } from "./presentation/customers/customer_history_router.ts";
import { customerRouter } from "./presentation/customers/customer_router.ts";
import { docsRouter } from "./presentation/docs/docs_router.ts";
import { groupRouter } from "./presentation/groups/group_router.ts";
import { healthRouter } from "./presentation/health/health_router.ts";
import { metricsRouter } from "./presentation/metrics/metrics_router.ts";
import { authenticate } from "./presentation/middleware/authenticate.ts";
import { handleError, handleNotFound } from "./presentation/middleware/error_handler.ts";
import { rateLimit } from "./presentation/middleware/rate_limit.ts";
import { requestLogger, type RequestObserver } from "./presentation/middleware/request_logger.ts";
import { requireAnyDomain } from "./presentation/middleware/require_any_domain.ts";
import { traceId } from "./presentation/middleware/trace_id.ts";
import { problemResponse } from "./presentation/problem.ts";
import { createRouter } from "./presentation/router.ts";
import { syncRouter } from "./presentation/sync/sync_router.ts";
import { webhookRouter } from "./presentation/webhooks/webhook_router.ts";
import { AppError } from "./shared/errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Routes that need a bearer token (contract section 4); everything else is public or a 404. */
const PROTECTED_PATHS = [
  "/auth/me",
  "/customers",
  "/customers/*",
  "/companies",
  "/companies/*",
  "/customer-groups",
  "/customer-groups/*",
  "/external-sync",
  "/external-sync/*",
  "/webhooks",
  "/webhooks/*",
];

/** Options of createApp beyond the dependencies. */
export interface AppOptions {
  observeRequest?: RequestObserver;
}

/** Builds the HTTP app over the given dependencies: middleware chain, routers, OpenAPI, docs. */
export function createApp(deps: Dependencies, options: AppOptions = {}) {
  const app = createRouter();
  app.use("*", traceId());
  app.use(
    "*",
    requestLogger({
      slowMs: deps.config.SLOW_REQUEST_MS,
      observe: options.observeRequest ?? deps.metrics.observeRequest,
    }),
  );
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        problemResponse(c, new AppError("PAYLOAD_TOO_LARGE", "request body is larger than 1 MiB")),
    }),
  );
  app.use("*", rateLimit(deps));
  const auth = authenticate(deps);
  for (const path of PROTECTED_PATHS) app.use(path, auth);
  const anyDomain = requireAnyDomain();
  for (const path of PROTECTED_PATHS.filter((path) => path !== "/auth/me")) {
    app.use(path, anyDomain);
  }

  app.route("/", healthRouter(deps));
  app.route("/", metricsRouter(deps));
  app.route("/", authRouter(deps));
  app.route("/", customerRouter(deps));
  app.route("/", customerHistoryRouter(deps));
  app.route("/", companyRouter(deps));
  app.route("/", groupRouter(deps));
  app.route("/", syncRouter(deps));
  app.route("/", webhookRouter(deps));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Customer master-data service",
      version: "1.0.0",
      description:
        "Customers, companies, customer groups and business domains, with DingTalk-role domain isolation.",
    },
  });
  app.route("/", docsRouter());
  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}

/** The app type, for typed test clients. */
export type App = ReturnType<typeof createApp>;
