import { AppError } from "../shared/errors.ts";

/** Encodes a keyset position as an opaque URL-safe string. */
export function encodeCursor(position: Record<string, unknown>): string {
  return btoa(JSON.stringify(position)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/** Decodes a cursor made by encodeCursor; undefined when it does not parse. */
export function decodeCursor(value: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(atob(value.replaceAll("-", "+").replaceAll("_", "/")));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/** 400 VALIDATION_FAILED naming `cursor`, for a cursor of another list, filter or version. */
export function badCursor(message = "not a cursor of this list"): AppError {
  return new AppError("VALIDATION_FAILED", "invalid query: cursor", {
    errors: [{ path: "cursor", message }],
  });
}
