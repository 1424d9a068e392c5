import { AppError, type ErrorCode } from "../../shared/errors.ts";

// The one place that reads Postgres (and connection) error codes: repositories map constraint
// violations here, the batch import asks whether to retry, and the app's onError asks whether a
// stray error is an outage. Everything above infrastructure sees AppError codes only (ADR 0094).

/** Every unique constraint (or unique index) of the schema and the 409 it answers. */
const UNIQUE_CONFLICTS: Record<string, { code: ErrorCode; detail: string }> = {
  customer_customer_code_key: {
    code: "CUSTOMER_DUPLICATED",
    detail: "a customer with this customer code already exists",
  },
  customer_name_code_key: {
    code: "CUSTOMER_DUPLICATED",
    detail: "a customer with this name and code already exists",
  },
  customer_source_external_code_key: {
    code: "CUSTOMER_DUPLICATED",
    detail: "a customer with this source and external code already exists",
  },
  ux_external_sync_success: {
    code: "CUSTOMER_DUPLICATED",
    detail: "this source record was imported concurrently",
  },
  company_company_code_key: {
    code: "COMPANY_DUPLICATED",
    detail: "a company with this company code already exists",
  },
  company_unified_social_credit_code_key: {
    code: "COMPANY_DUPLICATED",
    detail: "the unified social credit code is held by another company",
  },
  company_source_ref_key: {
    code: "COMPANY_DUPLICATED",
    detail: "the source and sourceRefId are held by another company",
  },
  customer_group_domain_name_key: {
    code: "GROUP_DUPLICATED",
    detail: "a group with this name already exists in its business domain",
  },
};

/** SQLSTATEs of a transaction Postgres aborted to break a cycle: run it again. */
const RETRYABLE = new Set(["40P01", "40001"]);

/** Codes of a backing service that is down or overloaded (Postgres SQLSTATEs and socket codes). */
const UNAVAILABLE = new Set([
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

function codeOf(error: unknown): string {
  return String((error as { code?: unknown } | undefined)?.code ?? "");
}

/** True when the error is a unique violation (23505), optionally of one constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const name = (error as { constraint_name?: unknown } | undefined)?.constraint_name;
  return codeOf(error) === "23505" && (constraint === undefined || name === constraint);
}

/** The AppError of a unique violation of a known constraint, else undefined. */
export function constraintError(error: unknown): AppError | undefined {
  if (!isUniqueViolation(error)) return undefined;
  const name = String((error as { constraint_name?: unknown }).constraint_name ?? "");
  const conflict = UNIQUE_CONFLICTS[name];
  return conflict ? new AppError(conflict.code, conflict.detail, { cause: error }) : undefined;
}

/** Rethrows a unique violation as its 409 AppError; any other error unchanged. */
export function mapConstraintViolation(error: unknown): never {
  throw constraintError(error) ?? error;
}

/** True for a deadlock or serialization failure: the whole transaction may simply run again. */
export function isRetryable(error: unknown): boolean {
  return RETRYABLE.has(codeOf(error));
}

/** True when the error says a backing service is down, not that the request was wrong. */
export function isUnavailable(error: unknown): boolean {
  if (UNAVAILABLE.has(codeOf(error))) return true;
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === "ConnectionRefused" ||
    (error as Error | undefined)?.message?.includes("ECONNREFUSED") === true;
}

/**
 * What the app's onError makes of an error no layer translated: 503 for an outage, the 409 of a
 * known constraint, else undefined (an unexpected error, 500).
 */
export function translateDatabaseError(error: unknown): AppError | undefined {
  if (isUnavailable(error)) {
    return new AppError("SERVICE_UNAVAILABLE", "a backing service is unavailable; retry later", {
      headers: { "retry-after": "5" },
      cause: error,
    });
  }
  return constraintError(error);
}
