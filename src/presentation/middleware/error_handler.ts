import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";
import type { AppEnv } from "../env.ts";
import { problemResponse } from "../problem.ts";

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE", // a pooled connection the database side closed (restart, failover, proxy cut)
  "ENOTCONN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin shutdown
  "57P03", // cannot connect now
  "57014", // statement timeout
  "53300", // too many connections
]);

function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
  const name = (error as { name?: unknown })?.name;
  return name === "ConnectionRefused" || (error as Error)?.message?.includes("ECONNREFUSED") ===
      true;
}

/** Maps anything thrown to an AppError; unknown errors become INTERNAL_ERROR (logged, not shown). */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) {
      return new AppError("PAYLOAD_TOO_LARGE", "request body is larger than 1 MiB");
    }
    if (error.status === 400 || error.status === 415) {
      const detail = error.status === 415
        ? "request body must be JSON (Content-Type: application/json)"
        : "request body is not valid JSON";
      return new AppError("VALIDATION_FAILED", detail, {
        errors: [{ path: "body", message: error.message || detail }],
      });
    }
    if (error.status === 401) return new AppError("UNAUTHENTICATED", "authentication required");
  }
  if (isUnavailable(error)) {
    return new AppError("SERVICE_UNAVAILABLE", "a backing service is unavailable; retry later", {
      headers: { "retry-after": "5" },
      cause: error,
    });
  }
  return new AppError("INTERNAL_ERROR", "an unexpected error occurred", { cause: error });
}

/** The one onError of the app: every error leaves as problem+json. */
export function handleError(error: Error, c: Context): Response {
  const appError = toAppError(error);
  if (appError.status >= 500) {
    // Only the unexpected deserves a stack; an outage or a deliberate 503 is said in one line.
    const unexpected = appError.code === "INTERNAL_ERROR";
    const cause = appError.cause ?? error;
    logger.error("request error", {
      code: appError.code,
      error: unexpected ? cause : (cause as Error)?.message ?? String(cause),
    });
  }
  return problemResponse(c, appError);
}

/** The notFound handler: 404 NOT_FOUND for unknown routes. */
export function handleNotFound(c: Context<AppEnv>): Response {
  c.set("routeUnmatched", true);
  return problemResponse(
    c,
    new AppError("NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`),
  );
}
