import type { Database } from "../../infrastructure/postgres/database.ts";
import {
  IDEMPOTENCY_TTL_SECONDS,
  type IdempotentRequest,
  type StoredAnswer,
} from "../../domain/idempotency/idempotency_key.ts";
import {
  claimIdempotencyKey,
  findIdempotencyKey,
} from "../../infrastructure/postgres/idempotency_repository.ts";
import { AppError } from "../../shared/errors.ts";

/**
 * How long a request may hold its key before the same request may take it over: a holder that
 * has not finished by then died with its process (requests end far sooner).
 */
export const IDEMPOTENCY_LEASE_SECONDS = 300;

/** Run the request holding `token`, or replay the answer stored under the key. */
export type IdempotencyDecision =
  | { kind: "run"; token: string }
  | { kind: "replay"; answer: StoredAnswer };

/**
 * Decides what a request carrying an Idempotency-Key does (contract §10.4): the first one runs;
 * the same request again replays the first answer; another request under the key is 422
 * IDEMPOTENCY_KEY_REUSED; the same request while the first still runs is 409
 * IDEMPOTENCY_KEY_IN_USE.
 */
export async function beginIdempotentRequest(
  deps: { db: Database },
  command: { request: IdempotentRequest },
): Promise<IdempotencyDecision> {
  const { request } = command;
  // Twice at most: the row found can vanish between the claim and the read (its holder answered
  // 5xx and released it), and then the key is free again.
  for (let attempt = 0; attempt < 2; attempt++) {
    const token = await claimIdempotencyKey(deps.db.sql, request, {
      ttlSeconds: IDEMPOTENCY_TTL_SECONDS,
      leaseSeconds: IDEMPOTENCY_LEASE_SECONDS,
    });
    if (token) return { kind: "run", token };
    const existing = await findIdempotencyKey(deps.db.sql, request.userId, request.key);
    if (!existing) continue;
    if (
      existing.method !== request.method || existing.path !== request.path ||
      existing.fingerprint !== request.fingerprint
    ) {
      throw new AppError(
        "IDEMPOTENCY_KEY_REUSED",
        "this Idempotency-Key was used for a different request (method, path or body); " +
          "use a new key for a new request",
      );
    }
    if (existing.answer) return { kind: "replay", answer: existing.answer };
    throw new AppError(
      "IDEMPOTENCY_KEY_IN_USE",
      "a request with this Idempotency-Key is still being processed; retry shortly",
      { headers: { "retry-after": "1" } },
    );
  }
  throw new AppError(
    "IDEMPOTENCY_KEY_IN_USE",
    "this Idempotency-Key is being claimed concurrently; retry shortly",
    { headers: { "retry-after": "1" } },
  );
}
