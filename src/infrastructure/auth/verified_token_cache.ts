import type { UserClaims } from "../../domain/auth/current_user.ts";
import type { TokenVerifier } from "../../domain/auth/auth_ports.ts";

interface Entry {
  claims: UserClaims;
  validUntil: number;
}

/** Bounds of the verified-token cache. */
export interface VerifiedTokenCacheOptions {
  /** Tokens remembered at most; the oldest is dropped first. */
  maxEntries?: number;
  /** How long a verification is trusted, so a rotated JWKS key takes effect within it. */
  maxAgeMs?: number;
  now?: () => number;
}

function expiryMs(token: string): number {
  try {
    const payload = JSON.parse(
      atob(token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")),
    ) as { exp?: unknown };
    return typeof payload.exp === "number" ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/**
 * Remembers successful verifications by token string (ADR 0061): a client sends the same token on
 * every request, and checking its signature twice per request (rate limiter, then authentication)
 * was the largest CPU cost of a cached detail. An entry never outlives the token's own `exp` (the
 * clock tolerance applies only on a fresh verification) nor `maxAgeMs`; failures are never cached.
 */
export function cacheVerifiedTokens(
  verify: TokenVerifier,
  options: VerifiedTokenCacheOptions = {},
): TokenVerifier {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  return async (token) => {
    const hit = entries.get(token);
    if (hit && hit.validUntil > now()) return hit.claims;
    if (hit) entries.delete(token);
    const claims = await verify(token);
    const validUntil = Math.min(expiryMs(token), now() + maxAgeMs);
    if (validUntil > now()) {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(token, { claims, validUntil });
    }
    return claims;
  };
}
