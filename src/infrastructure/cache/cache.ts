import { logger } from "../../shared/logger.ts";
import type { KeyValueStore } from "./key_value_store.ts";

/** Cache keys of the contract (section 8). */
export const cacheKeys = {
  customer: (id: number) => `customer:${id}`,
  customerGroup: (id: number) => `customer-group:${id}`,
};

/** Observes cache outcomes by key family (`customer`, `customer-group`), e.g. for metrics. */
export type CacheObserver = (family: string, outcome: "hit" | "miss" | "error") => void;

/** Cache-aside over a KeyValueStore: failures are logged and bypassed, never surfaced. */
export interface Cache {
  getJson<T>(key: string): Promise<T | undefined>;
  setJson(key: string, value: unknown): Promise<void>;
  invalidate(...keys: string[]): Promise<void>;
}

function familyOf(key: string): string {
  return key.split(":")[0];
}

/** Creates the cache with the configured TTL. */
export function createCache(
  store: KeyValueStore,
  ttlSeconds: number,
  observe: CacheObserver = () => {},
): Cache {
  return {
    async getJson<T>(key: string) {
      try {
        const raw = await store.get(key);
        observe(familyOf(key), raw === null ? "miss" : "hit");
        return raw === null ? undefined : JSON.parse(raw) as T;
      } catch (error) {
        observe(familyOf(key), "error");
        logger.warn("cache read failed; reading from the database", {
          key,
          error: (error as Error).message,
        });
        return undefined;
      }
    },
    async setJson(key, value) {
      try {
        await store.set(key, JSON.stringify(value), ttlSeconds);
      } catch (error) {
        logger.warn("cache write failed", { key, error: (error as Error).message });
      }
    },
    async invalidate(...keys) {
      if (keys.length === 0) return;
      try {
        await store.del(...keys);
      } catch (error) {
        // A stale entry outlives a failed delete by at most the TTL.
        logger.warn("cache invalidation failed", { keys, error: (error as Error).message });
      }
    },
  };
}
