/** Contract error codes and the one place they map to HTTP statuses (contract section 5). */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  AUTHENTICATION_FAILED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CUSTOMER_NOT_FOUND: 404,
  COMPANY_NOT_FOUND: 404,
  GROUP_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  WEBHOOK_DELIVERY_NOT_FOUND: 404,
  CUSTOMER_DUPLICATED: 409,
  COMPANY_DUPLICATED: 409,
  GROUP_DUPLICATED: 409,
  INVALID_STATUS_TRANSITION: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  VERSION_CONFLICT: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  DOMAIN_MISMATCH: 422,
  GROUP_MEMBER_LIMIT_EXCEEDED: 422,
  INVALID_MEMBER: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  DINGTALK_UNAVAILABLE: 502,
  SERVICE_UNAVAILABLE: 503,
  EXTERNAL_SOURCE_NOT_CONFIGURED: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: "Validation failed",
  UNAUTHENTICATED: "Unauthenticated",
  AUTHENTICATION_FAILED: "Authentication failed",
  FORBIDDEN: "Forbidden",
  NOT_FOUND: "Not found",
  CUSTOMER_NOT_FOUND: "Customer not found",
  COMPANY_NOT_FOUND: "Company not found",
  GROUP_NOT_FOUND: "Customer group not found",
  WEBHOOK_NOT_FOUND: "Webhook not found",
  WEBHOOK_DELIVERY_NOT_FOUND: "Webhook delivery not found",
  CUSTOMER_DUPLICATED: "Customer duplicated",
  COMPANY_DUPLICATED: "Company duplicated",
  GROUP_DUPLICATED: "Customer group duplicated",
  INVALID_STATUS_TRANSITION: "Invalid status transition",
  IDEMPOTENCY_KEY_IN_USE: "Idempotency key in use",
  VERSION_CONFLICT: "Version conflict",
  PAYLOAD_TOO_LARGE: "Payload too large",
  UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
  DOMAIN_MISMATCH: "Business domain mismatch",
  GROUP_MEMBER_LIMIT_EXCEEDED: "Group member limit exceeded",
  INVALID_MEMBER: "Invalid group member",
  IDEMPOTENCY_KEY_REUSED: "Idempotency key reused",
  RATE_LIMITED: "Too many requests",
  INTERNAL_ERROR: "Internal server error",
  DINGTALK_UNAVAILABLE: "DingTalk unavailable",
  SERVICE_UNAVAILABLE: "Service unavailable",
  EXTERNAL_SOURCE_NOT_CONFIGURED: "External source not configured",
};

/** One offending field of a VALIDATION_FAILED problem. */
export interface FieldError {
  path: string;
  message: string;
}

/** Options of an AppError beyond its code and detail. */
export interface AppErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members of the problem document, e.g. the offending ids. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
  /**
   * A status other than the code's usual one, where the contract names both (a merge of a
   * customer into itself is 422 VALIDATION_FAILED, §10.6).
   */
  status?: number;
}

/** The one exception type of the service: a contract code plus a human detail. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;
  readonly extensions?: Record<string, unknown>;

  constructor(code: ErrorCode, detail: string, options: AppErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.errors = options.errors;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }
}

/** An RFC 9457 problem document as this service writes it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  traceId: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Builds the problem document of an AppError for the given trace id. */
export function toProblem(error: AppError, traceId: string): Problem {
  return {
    ...error.extensions,
    type: `https://errors.customer-service.local/${error.code.toLowerCase().replaceAll("_", "-")}`,
    title: TITLES[error.code],
    status: error.status,
    detail: error.message,
    code: error.code,
    traceId,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

/** True when a value is an AppError with the given code. */
export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
