import type { Redis } from "ioredis";
import type { RateLimitDecision } from "../../application/ports/rate_limiter.ts";

/**
 * Takes `ARGV[1]` points of the key's window in one step; the first take starts the window of
 * `ARGV[2]` ms. Answers the count after the take and the window's remaining milliseconds.
 */
const TAKE_SCRIPT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {count, ttl}`;

interface Lease {
  /** Global position of the last point leased (at most the limit). */
  end: number;
  /** Points of the lease not used yet; the next request takes position `end - left + 1`. */
  left: number;
  /** Local time at which the Redis window ends (and with it every lease of it). */
  windowEndsAt: number;
  /** The key's budget is spent until windowEndsAt: answer 429 without asking Redis. */
  exhausted: boolean;
}

/** Options of the leased limiter. */
export interface LeasedLimiterOptions {
  redis: Redis;
  points: number;
  durationMs: number;
  keyPrefix: string;
  /** Points taken from Redis at a time; 1 asks Redis on every request. */
  leaseSize: number;
  now?: () => number;
}

/**
 * A shared budget per key in Redis, spent locally in small leases: an instance asks Redis once per
 * `leaseSize` requests of a key instead of on every request. Points are reserved before they are
 * spent, so the limit is never exceeded; the error is the other way round: points leased by
 * another instance and not used there (at most `leaseSize - 1` per other instance and key) are
 * refused here until the window ends (ADR 0081). Concurrent requests of one key share one lease
 * request. Throws when Redis fails; the caller falls back.
 */
export function createLeasedLimiter(options: LeasedLimiterOptions) {
  const now = options.now ?? Date.now;
  const leases = new Map<string, Lease>();
  const pending = new Map<string, Promise<void>>();

  const sweep = () => {
    const time = now();
    for (const [key, lease] of leases) if (lease.windowEndsAt <= time) leases.delete(key);
  };

  const fetchLease = async (key: string) => {
    const [count, ttl] = await options.redis.eval(
      TAKE_SCRIPT,
      1,
      `${options.keyPrefix}:${key}`,
      options.leaseSize,
      options.durationMs,
    ) as [number, number];
    const windowEndsAt = now() + Math.max(ttl, 1);
    const before = count - options.leaseSize;
    const granted = Math.max(0, Math.min(options.leaseSize, options.points - before));
    if (leases.size >= 10_000) sweep();
    leases.set(key, {
      end: granted > 0 ? before + granted : options.points,
      left: granted,
      windowEndsAt,
      exhausted: granted === 0,
    });
  };

  const decide = (lease: Lease): RateLimitDecision => {
    const resetSeconds = Math.max(1, Math.ceil((lease.windowEndsAt - now()) / 1000));
    if (lease.left === 0) {
      return { allowed: false, limit: options.points, remaining: 0, resetSeconds };
    }
    const position = lease.end - lease.left + 1;
    lease.left--;
    return {
      allowed: true,
      limit: options.points,
      remaining: Math.max(options.points - position, 0),
      resetSeconds,
    };
  };

  return {
    async consume(key: string): Promise<RateLimitDecision> {
      // Ends: every lease fetched either grants points, taken by one of the waiters, or marks
      // the budget exhausted until the window ends.
      while (true) {
        const lease = leases.get(key);
        const live = lease !== undefined && lease.windowEndsAt > now();
        if (live && (lease.left > 0 || lease.exhausted)) return decide(lease);
        let request = pending.get(key);
        if (!request) {
          request = fetchLease(key).finally(() => pending.delete(key));
          pending.set(key, request);
        }
        await request;
      }
    },
  };
}
