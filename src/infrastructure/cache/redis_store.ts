import { Redis } from "ioredis";
import { logger } from "../../shared/logger.ts";
import type { KeyValueStore } from "./key_value_store.ts";

/** Options of the Redis connection. */
export interface RedisOptions {
  keyPrefix?: string;
  connectTimeoutMs?: number;
}

/**
 * Opens an ioredis client that fails fast when Redis is down (stack notes §4): no offline queue,
 * one retry, so a dead Redis costs a request milliseconds, not a minute.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    keyPrefix: options.keyPrefix || undefined,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Commands issued in the same tick leave in one write: under load, far fewer syscalls.
    enableAutoPipelining: true,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let healthy = true;
  client.on("error", (error: Error) => {
    if (!healthy) return;
    healthy = false;
    logger.warn("redis unavailable", { error: error.message });
  });
  client.on("ready", () => {
    if (healthy) return;
    healthy = true;
    logger.info("redis available again");
  });
  return client;
}

/** Observes one Redis command of the store (duration in seconds), e.g. for metrics. */
export type RedisCommandObserver = (
  command: "get" | "set" | "unlink" | "ping",
  seconds: number,
  ok: boolean,
) => void;

/** Runs one command and reports its duration and outcome; costs two clock reads. */
async function timed<T>(
  observe: RedisCommandObserver | undefined,
  command: Parameters<RedisCommandObserver>[0],
  run: () => Promise<T>,
): Promise<T> {
  if (!observe) return await run();
  const started = performance.now();
  try {
    const result = await run();
    observe(command, (performance.now() - started) / 1000, true);
    return result;
  } catch (error) {
    observe(command, (performance.now() - started) / 1000, false);
    throw error;
  }
}

/** The key counting the deletes of `key` (prefixed by the client like every key). */
const generationKey = (key: string) => `gen:${key}`;
// Far longer than any database read between a fill's generation read and its write.
const GENERATION_TTL_SECONDS = 3600;
const SET_IF_GENERATION = `
if (redis.call('get', KEYS[2]) or '') == ARGV[3] then
  redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0`;

/**
 * Deletes KEYS[1..n] and bumps each one's generation, KEYS[n+1..2n] (ARGV[1] = n, ARGV[2] = the
 * generations' TTL): one command however many keys, instead of a transaction of 3n commands that
 * the client has to build and write (a group replacement invalidates 10 000 keys).
 */
const DELETE_AND_BUMP = `
local n = tonumber(ARGV[1])
for i = 1, n do
  redis.call('unlink', KEYS[i])
  redis.call('incr', KEYS[n + i])
  redis.call('expire', KEYS[n + i], ARGV[2])
end
return n`;

/** A KeyValueStore over a Redis client. */
export function createRedisStore(
  client: Redis,
  options: { observe?: RedisCommandObserver } = {},
): KeyValueStore {
  const observe = options.observe;
  return {
    kind: "redis",
    get: (key) => timed(observe, "get", () => client.get(key)),
    async set(key, value, ttlSeconds) {
      await timed(observe, "set", () => client.set(key, value, "EX", ttlSeconds));
    },
    async del(...keys) {
      // UNLINK: readers see the keys gone at once, Redis frees them off its main thread; a
      // group's replacement invalidates up to 20 000 keys in one command (ADR 0064).
      // Each delete also bumps the key's generation, so a fill read before it is refused.
      if (keys.length === 0) return;
      await timed(observe, "unlink", async () => {
        await client.eval(
          DELETE_AND_BUMP,
          keys.length * 2,
          ...keys,
          ...keys.map(generationKey),
          keys.length,
          GENERATION_TTL_SECONDS,
        );
      });
    },
    getForFill: (key) =>
      timed(observe, "get", async () => {
        const [value, generation] = await client.mget(key, generationKey(key));
        return { value, generation: generation ?? "" };
      }),
    setIfGeneration: (key, value, ttlSeconds, generation) =>
      timed(observe, "set", async () => {
        const done = await client.eval(
          SET_IF_GENERATION,
          2,
          key,
          generationKey(key),
          value,
          ttlSeconds,
          generation,
        );
        return done === 1;
      }),
    async ping() {
      const started = performance.now();
      await timed(observe, "ping", () => client.ping());
      return Math.round((performance.now() - started) * 10) / 10;
    },
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

/** Resolves once the client is ready; rejects on timeout or the first connection error. */
export function waitForRedis(client: Redis, timeoutMs = 2_000): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("error", onError);
      error ? reject(error) : resolve();
    };
    const onReady = () => done();
    const onError = (error: Error) => done(error);
    const timer = setTimeout(
      () => done(new Error(`redis not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.once("ready", onReady);
    client.once("error", onError);
  });
}
