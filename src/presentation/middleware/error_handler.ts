import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";
import type { AppEnv } from "../env.ts";
import { problemResponse } from "../problem.ts";

/** Translates errors of the infrastructure (outages, constraints) into AppErrors; injected. */
export type ErrorTranslator = (error: unknown) => AppError | undefined;

/**
 * Maps anything thrown to an AppError; unknown errors become INTERNAL_ERROR (logged, not shown).
 * Database and connection errors are read by the injected translator, not here (ADR 0094).
 */
export function toAppError(error: unknown, translate: ErrorTranslator = () => undefined): AppError {
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
  return translate(error) ??
    new AppError("INTERNAL_ERROR", "an unexpected error occurred", { cause: error });
}

/** The one onError of the app: every error leaves as problem+json. */
export function errorHandler(translate: ErrorTranslator) {
  return function handleError(error: Error, c: Context): Response {
    const appError = toAppError(error, translate);
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
  };
}

/** The notFound handler: 404 NOT_FOUND for unknown routes. */
export function handleNotFound(c: Context<AppEnv>): Response {
  c.set("routeUnmatched", true);
  return problemResponse(
    c,
    new AppError("NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`),
  );
}
