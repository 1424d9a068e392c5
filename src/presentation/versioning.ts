import type { Context, TypedResponse } from "hono";
import { AppError } from "../shared/errors.ts";

/** The ETag of a versioned resource: the quoted version. */
export function etag(version: number): string {
  return `"${version}"`;
}

/**
 * The version an `If-Match` header asks for: `"3"`, `W/"3"` or `3`; `*` or no header means no
 * check. Anything else can never match, so it is a 412 like a stale version.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "" || header.trim() === "*") return undefined;
  const match = header.trim().match(/^(?:W\/)?"?(\d{1,10})"?$/);
  if (!match) {
    throw new AppError("VERSION_CONFLICT", `If-Match ${header} does not name a version`);
  }
  return Number(match[1]);
}

/** A detail served as stored: its JSON bytes with the ETag of its version, nothing re-encoded. */
export function jsonBytes(
  c: Context,
  view: { body: Uint8Array; version: number },
): TypedResponse<never, 200, "json"> {
  const response = c.body(view.body as Uint8Array<ArrayBuffer>, 200, {
    "content-type": "application/json",
    ETag: etag(view.version),
  });
  // The bytes are the route's documented JSON, serialised once when the detail was cached.
  return response as unknown as TypedResponse<never, 200, "json">;
}
