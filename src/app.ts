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
import { errorHandler, handleNotFound } from "./presentation/middleware/error_handler.ts";
import { idempotency } from "./presentation/middleware/idempotency.ts";
import { rateLimit } from "./presentation/middleware/rate_limit.ts";
import { requestLogger, type RequestObserver } from "./presentation/middleware/request_logger.ts";
import { requireAnyDomain } from "./presentation/middleware/require_any_domain.ts";
import { traceId } from "./presentation/middleware/trace_id.ts";
import { openApiDocument } from "./presentation/openapi_document.ts";
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

/** Writes that accept an Idempotency-Key (contract §10.4). */
const IDEMPOTENT_POST_PATHS = ["/customers", "/customer-groups", "/external-sync/import"];

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
  app.on("POST", IDEMPOTENT_POST_PATHS, idempotency(deps));

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
  const document = openApiDocument(app);
  app.get("/openapi.json", (c) => c.json(document()));
  app.route("/", docsRouter());
  const onError = errorHandler(deps.translateError);
  app.onError((error, c) => {
    deps.metrics.observeDatabaseError(error);
    return onError(error, c);
  });
  app.notFound(handleNotFound);
  return app;
}
