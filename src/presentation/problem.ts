import type { Context } from "hono";
import type { ZodError } from "zod";
import { AppError, toProblem } from "../shared/errors.ts";
import { fieldErrors } from "../shared/field_errors.ts";

export { fieldErrors };

/** Answers an AppError as RFC 9457 problem+json with the trace id and the error's headers. */
export function problemResponse(c: Context, error: AppError): Response {
  const traceId = (c.get("traceId") as string | undefined) ?? "";
  const headers: Record<string, string> = {
    "content-type": "application/problem+json",
    ...(traceId ? { "x-trace-id": traceId } : {}),
    ...error.headers,
  };
  return new Response(JSON.stringify(toProblem(error, traceId)), {
    status: error.status,
    headers,
  });
}

const TARGET_NAMES: Record<string, string> = {
  json: "request body",
  query: "query",
  param: "path parameter",
  header: "header",
};

/** The VALIDATION_FAILED error for a failed request validation of the given target. */
export function validationError(error: ZodError, target: string): AppError {
  const errors = fieldErrors(error);
  const fields = [...new Set(errors.map((item) => item.path))].join(", ");
  return new AppError(
    "VALIDATION_FAILED",
    `invalid ${TARGET_NAMES[target] ?? target}: ${fields}`,
    { errors },
  );
}
