import type { Database } from "../../infrastructure/postgres/database.ts";
import { deleteExpiredIdempotencyKeys } from "../../infrastructure/postgres/idempotency_repository.ts";
import { logger } from "../../shared/logger.ts";

/**
 * Deletes expired Idempotency-Keys in batches of `batchSize`, at most `maxBatches` per run, so
 * one run never holds locks or the pool for long; answers how many it deleted.
 */
export async function purgeExpiredIdempotencyKeys(
  deps: { db: Database },
  command: { batchSize?: number; maxBatches?: number } = {},
): Promise<number> {
  const batchSize = command.batchSize ?? 1000;
  const maxBatches = command.maxBatches ?? 10;
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const count = await deleteExpiredIdempotencyKeys(deps.db.sql, batchSize);
    deleted += count;
    if (count < batchSize) break;
  }
  if (deleted > 0) logger.info("expired idempotency keys purged", { deleted });
  return deleted;
}
