import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { Queryable } from "../../infrastructure/postgres/database.ts";
import {
  acquireImportLease,
  releaseImportLease,
  renewImportLease,
} from "../../infrastructure/postgres/import_lease_repository.ts";
import { AppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";

/** How long a lease outlives its last renewal: the lock of an instance that died mid-import. */
export const IMPORT_LEASE_SECONDS = 60;

/** The longest Retry-After we suggest: a running import usually ends well before its lease. */
const MAX_RETRY_AFTER_SECONDS = 10;

/**
 * Runs `work` holding the user's import lease (contract §10.3, ADR 0092): a second import of the
 * same user, on any instance, is 429 RATE_LIMITED with Retry-After while the first one runs. The
 * lease is renewed while the work lasts and released after it, whatever its outcome.
 */
export async function withImportLease<T>(
  sql: Queryable,
  user: CurrentUser,
  work: () => Promise<T>,
): Promise<T> {
  const taken = await acquireImportLease(sql, user.dingUserId, IMPORT_LEASE_SECONDS);
  if ("retryAfterSeconds" in taken) {
    const seconds = Math.min(taken.retryAfterSeconds, MAX_RETRY_AFTER_SECONDS);
    throw new AppError("RATE_LIMITED", "an import of yours is still running; retry when it ends", {
      headers: { "retry-after": String(seconds) },
    });
  }
  const { lease } = taken;
  const renewal = setInterval(() => {
    renewImportLease(sql, lease, IMPORT_LEASE_SECONDS).catch((error) =>
      logger.warn("could not renew the import lease", { error: (error as Error).message })
    );
  }, (IMPORT_LEASE_SECONDS / 4) * 1000);
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    await releaseImportLease(sql, lease).catch((error) =>
      logger.warn("could not release the import lease", { error: (error as Error).message })
    );
  }
}
