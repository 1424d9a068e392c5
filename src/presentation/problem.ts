import type { Context } from "hono";
import type { ZodError } from "zod";
import { AppError, type FieldError, toProblem } from "../shared/errors.ts";

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

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  const parts = path.map(String);
  const joined = parts.join(".");
  if (prefix && joined) return `${prefix}.${joined}`;
  return joined || prefix || "body";
}

/** Turns zod issues into one field error per offending field (unknown keys listed one by one). */
export function fieldErrors(error: ZodError, prefix = ""): FieldError[] {
  const errors: FieldError[] = [];
  // zod can raise several issues for one field (e.g. int and max): the contract wants one entry.
  const add = (path: string, message: string) => {
    if (!errors.some((error) => error.path === path)) errors.push({ path, message });
  };
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add(joinPath(prefix, [...issue.path, key]), "unknown field");
    } else {
      add(joinPath(prefix, issue.path), issue.message);
    }
  }
  return errors;
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
