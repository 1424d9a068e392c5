import type { Database } from "../../infrastructure/postgres/database.ts";
import {
  type IdempotentRequest,
  isKeptAnswer,
  type StoredAnswer,
} from "../../domain/idempotency/idempotency_key.ts";
import {
  completeIdempotencyKey,
  releaseIdempotencyKey,
} from "../../infrastructure/postgres/idempotency_repository.ts";
import { logger } from "../../shared/logger.ts";

/** The largest answer kept for replay; the largest real one (a 1 000-row import) is ~100 kB. */
export const MAX_KEPT_ANSWER_BYTES = 1024 * 1024;

/**
 * Ends the request that holds a key: keeps its answer for replay, or releases the key (a 5xx, a
 * 429 or an answer too large to keep) so the client may retry with it. Never throws: the answer
 * is already decided; a failure here only leaves the key held until its lease runs out.
 */
export async function finishIdempotentRequest(
  deps: { db: Database },
  command: { request: IdempotentRequest; token: string; answer: StoredAnswer },
): Promise<void> {
  const { request, token, answer } = command;
  const holder = { userId: request.userId, key: request.key, token };
  try {
    if (!isKeptAnswer(answer.status)) {
      await releaseIdempotencyKey(deps.db.sql, holder);
      return;
    }
    if (answer.body.byteLength > MAX_KEPT_ANSWER_BYTES) {
      logger.warn("answer too large to keep for its Idempotency-Key; key released", {
        bytes: answer.body.byteLength,
        path: request.path,
      });
      await releaseIdempotencyKey(deps.db.sql, holder);
      return;
    }
    if (!(await completeIdempotencyKey(deps.db.sql, holder, answer))) {
      logger.warn("Idempotency-Key was taken over before its answer was stored", {
        path: request.path,
      });
    }
  } catch (error) {
    logger.error("could not store the answer of an Idempotency-Key", {
      path: request.path,
      error: (error as Error).message,
    });
  }
}
