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
