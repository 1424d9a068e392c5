import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimitDecision, RateLimiter } from "../../application/ports/rate_limiter.ts";
import { logger } from "../../shared/logger.ts";

/** Options of createRateLimiter. */
export interface RateLimiterOptions {
  points: number;
  durationSeconds?: number;
  /** With a client, the budget lives in Redis and is shared by every instance. */
  redis?: Redis;
  keyPrefix?: string;
}

interface CallOptions {
  fellBack: boolean;
}

function decision(res: RateLimiterRes, limit: number, allowed: boolean): RateLimitDecision {
  return {
    allowed,
    limit,
    remaining: allowed ? Math.max(res.remainingPoints, 0) : 0,
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  };
}

/**
 * Creates the limiter: Redis-backed with an in-process insurance limiter when a client is given
 * (a Redis outage degrades to per-instance budgets instead of failing requests), else in process.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const base = {
    points: options.points,
    duration: options.durationSeconds ?? 60,
    keyPrefix: options.keyPrefix ?? "rate-limit",
  };
  let degraded = false;

  // The library hands the caller's options object to the insurance limiter: marking it tells each
  // call whether Redis answered, so an outage is logged once per transition, not per request.
  class InsuranceLimiter extends RateLimiterMemory {
    override consume(key: string | number, points?: number, opts?: CallOptions) {
      if (opts) opts.fellBack = true;
      return super.consume(key, points, opts);
    }
  }

  const limiter = options.redis
    ? new RateLimiterRedis({
      ...base,
      storeClient: options.redis,
      // Without this, a command during a reconnect waits for Redis before the insurance kicks in.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new InsuranceLimiter(base),
    })
    : new RateLimiterMemory(base);

  const noteBackend = (fellBack: boolean) => {
    if (!options.redis || fellBack === degraded) return;
    degraded = fellBack;
    if (fellBack) logger.warn("rate limiter: redis unavailable, counting in process");
    else logger.info("rate limiter: redis available again");
  };

  return {
    backend: options.redis ? "redis" : "memory",
    async consume(key) {
      const call: CallOptions = { fellBack: false };
      try {
        const res = await limiter.consume(key, 1, call);
        noteBackend(call.fellBack);
        return decision(res, base.points, true);
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          noteBackend(call.fellBack);
          return decision(error, base.points, false);
        }
        // Never fail a request because the limiter broke: let it through and say so once.
        noteBackend(true);
        return { allowed: true, limit: base.points, remaining: base.points, resetSeconds: 60 };
      }
    },
  };
}
