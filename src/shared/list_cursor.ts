import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { AppError } from "./errors.ts";

/** Where a keyset walk stopped: the last row's sort value (as text) and id. */
export interface ListPosition {
  key: string;
  id: number;
}

/** What a cursor is bound to: the list, its filters and its sort (contract §10.5). */
export interface ListScope {
  list: string;
  filters: Record<string, unknown>;
  sort: string;
}

/** Encodes and checks the opaque `cursor` of the lists (ADR 0110). */
export interface CursorCodec {
  encode(scope: ListScope, position: ListPosition): string;
  /** The position of a cursor made for this scope; 400 VALIDATION_FAILED (path `cursor`) else. */
  decode(scope: ListScope, cursor: string): ListPosition;
}

// Cursors are meant to outlive a deploy and to cross instances, so the fallback is a constant:
// a cursor carries no authority (every page re-applies the user's domains), the MAC only makes
// tampering and mix-ups evident (ADR 0110).
const DEVELOPMENT_SECRET = "customer-service development cursor secret";

/** The codec keyed by CURSOR_SECRET, else JWT_SECRET, else a development constant. */
export function createCursorCodec(secret: string | undefined): CursorCodec {
  const key = createHmac("sha256", secret ?? DEVELOPMENT_SECRET).update("list-cursor-v1").digest();
  const mac = (payload: string) =>
    createHmac("sha256", key).update(payload).digest().subarray(0, 16);
  return {
    encode(scope, position) {
      const payload = base64url(
        JSON.stringify({ k: position.key, i: position.id, h: hash(scope) }),
      );
      return `${payload}.${base64url(mac(payload))}`;
    },
    decode(scope, cursor) {
      const [payload, signature, extra] = cursor.split(".");
      if (extra !== undefined || !payload || !signature) throw invalidCursor("does not parse");
      const expected = mac(payload);
      const given = fromBase64url(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw invalidCursor("does not parse or was altered");
      }
      const parsed = parsePayload(payload);
      if (!parsed) throw invalidCursor("does not parse");
      if (parsed.h !== hash(scope)) {
        throw invalidCursor("was made for other filters or another sort; repeat them unchanged");
      }
      return { key: parsed.k, id: parsed.i };
    },
  };
}

function parsePayload(payload: string): { k: string; i: number; h: string } | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(fromBase64url(payload)));
    if (
      typeof value?.k === "string" && Number.isSafeInteger(value.i) && value.i > 0 &&
      typeof value.h === "string"
    ) return value;
  } catch {
    // falls through: a payload that is not JSON does not parse
  }
  return undefined;
}

function invalidCursor(reason: string): AppError {
  const message = `cursor ${reason}`;
  return new AppError("VALIDATION_FAILED", `invalid query: ${message}`, {
    errors: [{ path: "cursor", message }],
  });
}

/** Hashes of recent scopes: every page of a list answers a cursor of the same scope. */
const hashes = new Map<string, string>();
const HASHES_KEPT = 1_000;

/** Filters compared as canonical JSON: absent and undefined are the same, key order is not. */
function hash(scope: ListScope): string {
  const filters = Object.fromEntries(
    Object.entries(scope.filters).filter(([, value]) => value !== undefined && value !== null)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  const canonical = JSON.stringify([scope.list, scope.sort, filters]);
  let hashed = hashes.get(canonical);
  if (hashed === undefined) {
    hashed = base64url(createHash("sha256").update(canonical).digest().subarray(0, 12));
    if (hashes.size >= HASHES_KEPT) hashes.delete(hashes.keys().next().value!);
    hashes.set(canonical, hashed);
  }
  return hashed;
}

function base64url(value: string | Uint8Array): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(value: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) return new Uint8Array();
  try {
    const binary = atob(value.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return new Uint8Array();
  }
}

const codecs = new Map<string, CursorCodec>();

/** The codec of a configuration (built once per secret). */
export function cursorCodecOf(config: { CURSOR_SECRET?: string; JWT_SECRET?: string }) {
  const secret = config.CURSOR_SECRET ?? config.JWT_SECRET;
  const name = secret ?? "";
  let codec = codecs.get(name);
  if (!codec) codecs.set(name, codec = createCursorCodec(secret));
  return codec;
}
