import { AppError } from "../../shared/errors.ts";

/**
 * Optimistic concurrency: when the client sent a version (If-Match), it must be the current one.
 * `expected` undefined means the client did not ask for a check.
 */
export function ensureVersion(expected: number | undefined, actual: number): void {
  if (expected !== undefined && expected !== actual) {
    throw new AppError(
      "VERSION_CONFLICT",
      `If-Match version ${expected} does not match the current version ${actual}`,
    );
  }
}
