import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimitDecision, RateLimiter } from "../../application/ports/rate_limiter.ts";
import { logger } from "../../shared/logger.ts";
import { createLeasedLimiter } from "./leased_rate_limiter.ts";

/** Options of createRateLimiter. */
export interface RateLimiterOptions {
  points: number;
  durationSeconds?: number;
  /** With a client, the budget lives in Redis and is shared by every instance. */
  redis?: Redis;
  keyPrefix?: string;
  /** Points an instance takes from Redis at a time (default: points / 50, 1 to 20). */
  leaseSize?: number;
}

function decision(res: RateLimiterRes, limit: number, allowed: boolean): RateLimitDecision {
  return {
    allowed,
    limit,
    remaining: allowed ? Math.max(res.remainingPoints, 0) : 0,
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  };
}

/** The default lease: small against the budget, so stranded points stay a few percent of it. */
export function defaultLeaseSize(points: number): number {
  return Math.max(1, Math.min(20, Math.floor(points / 50)));
}

/**
 * Creates the limiter: with Redis, a shared budget spent in leases (no Redis round trip on most
 * requests) and an in-process limiter while Redis fails (a Redis outage degrades to per-instance
 * budgets instead of failing requests); without Redis, in process.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const base = {
    points: options.points,
    duration: options.durationSeconds ?? 60,
    keyPrefix: options.keyPrefix ?? "rate-limit",
  };
  const memory = new RateLimiterMemory(base);
  const consumeInProcess = async (key: string) => {
    try {
      return decision(await memory.consume(key), base.points, true);
    } catch (error) {
      if (error instanceof RateLimiterRes) return decision(error, base.points, false);
      throw error;
    }
  };
  if (!options.redis) return { backend: "memory", consume: consumeInProcess };

  const leased = createLeasedLimiter({
    redis: options.redis,
    points: base.points,
    durationMs: base.duration * 1000,
    keyPrefix: base.keyPrefix,
    leaseSize: options.leaseSize ?? defaultLeaseSize(base.points),
  });
  let degraded = false;
  const noteBackend = (fellBack: boolean, error?: unknown) => {
    if (fellBack === degraded) return;
    degraded = fellBack;
    if (fellBack) {
      logger.warn("rate limiter: redis unavailable, counting in process", {
        error: (error as Error)?.message,
      });
    } else logger.info("rate limiter: redis available again");
  };

  return {
    backend: "redis",
    async consume(key) {
      try {
        const result = await leased.consume(key);
        noteBackend(false);
        return result;
      } catch (error) {
        noteBackend(true, error);
        try {
          return await consumeInProcess(key);
        } catch {
          // Never fail a request because the limiter broke: let it through.
          return { allowed: true, limit: base.points, remaining: base.points, resetSeconds: 60 };
        }
      }
    },
  };
}
