import { AppError } from "../../shared/errors.ts";

/** How long a key and its answer are kept (contract §10.4). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** 1 to 255 printable ASCII characters (contract §10.4). */
const KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;

/** The header name, as the contract spells it. */
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

/** 400 VALIDATION_FAILED unless the header value is a valid key; answers it unchanged. */
export function parseIdempotencyKey(value: string): string {
  if (!KEY_PATTERN.test(value)) {
    throw new AppError(
      "VALIDATION_FAILED",
      `${IDEMPOTENCY_KEY_HEADER} must be 1 to 255 printable ASCII characters`,
      {
        errors: [{
          path: IDEMPOTENCY_KEY_HEADER,
          message: `expected 1 to 255 printable ASCII characters, got ${value.length} characters`,
        }],
      },
    );
  }
  return value;
}

/**
 * JSON with object keys sorted at every level and no insignificant whitespace, so two bodies
 * that mean the same (key order, spacing) compare equal.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`)}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The fingerprint of a request body: SHA-256 (hex) of its canonical JSON, or of the raw text
 * when it is not JSON (such a request answers 400, which is kept and replayed like any 4xx).
 */
export async function requestFingerprint(body: string): Promise<string> {
  let canonical: string;
  try {
    canonical = `json:${canonicalJson(JSON.parse(body))}`;
  } catch {
    canonical = `raw:${body}`;
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A request under a key: who sent it, where, and what. */
export interface IdempotentRequest {
  userId: string;
  key: string;
  method: string;
  path: string;
  fingerprint: string;
}

/** A stored first answer, replayed byte for byte. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
}

/** Response headers a replay repeats (contract §10.4: status, body, Location and ETag). */
export const REPLAYED_HEADERS = ["content-type", "location", "etag"] as const;

/**
 * Whether an answer is kept for replay: 5xx is not (the client may retry with the same key), nor
 * 429, which says the request was not processed yet (ADR 0100). Other 4xx answers are kept.
 */
export function isKeptAnswer(status: number): boolean {
  return status < 500 && status !== 429;
}
