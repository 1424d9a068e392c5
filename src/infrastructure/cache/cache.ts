import { logger } from "../../shared/logger.ts";
import type { InvalidationBus } from "./invalidation_bus.ts";
import type { KeyValueStore } from "./key_value_store.ts";
import { type CachedView, L1Cache } from "./l1_cache.ts";

export type { CachedView } from "./l1_cache.ts";

/** Cache keys of the contract (section 8). */
export const cacheKeys = {
  customer: (id: number) => `customer:${id}`,
  customerGroup: (id: number) => `customer-group:${id}`,
};

/** Observes cache outcomes by key family (`customer`, `customer-group`), e.g. for metrics. */
export type CacheObserver = (family: string, outcome: "hit" | "miss" | "error") => void;

/** What a cached view must carry besides its JSON: authorisation and the ETag come from it. */
export interface ViewMeta {
  version: number;
  businessDomain: string;
}

/**
 * Cache-aside for details: an in-process L1 of response bytes in front of the shared store
 * (Redis), or the L1 alone without Redis. Failures are logged and bypassed, never surfaced.
 */
export interface Cache {
  /** The view under `key`: L1 bytes as stored, else the store's JSON (kept in L1 then). */
  getView(key: string): Promise<CachedView | undefined>;
  /**
   * Serialises a view read from the database after `mark()` once, keeps it in L1 and writes
   * the store without waiting (the response does not wait for Redis).
   */
  putView(key: string, value: ViewMeta, mark: FillMark): CachedView;
  /** Take it before the database read whose result goes to putView. */
  mark(): FillMark;
  /** Drops the keys here, in the store and, through the bus, in every other instance. */
  invalidate(...keys: string[]): Promise<void>;
}

/** When a fill's database read began: the L1's invalidation sequence and this cache's clock. */
export interface FillMark {
  l1: number;
  tick: number;
}

/** Options of createCache. */
export interface CacheOptions {
  /** The shared tier; absent without Redis (then the L1 is the cache). */
  store?: KeyValueStore;
  ttlSeconds: number;
  l1: L1Cache;
  /** Cross-instance invalidation; with a store it must be live for the L1 to be used. */
  bus?: InvalidationBus;
  observe?: CacheObserver;
}

const encoder = new TextEncoder();

/** `customer` of `customer:42`: on every cache hit, so without the array `split` would make. */
function familyOf(key: string): string {
  const colon = key.indexOf(":");
  return colon < 0 ? key : key.slice(0, colon);
}

function toView(json: string, meta: ViewMeta): CachedView {
  return { body: encoder.encode(json), version: meta.version, businessDomain: meta.businessDomain };
}

/** Creates the tiered cache. */
export function createCache(options: CacheOptions): Cache {
  const { store, l1, bus, ttlSeconds } = options;
  const observe = options.observe ?? (() => {});
  // With a shared store, L1 entries are only as fresh as the invalidation messages that reach
  // this instance; while the subscription is down the L1 is neither read nor filled.
  const l1Usable = () => !store || !bus || bus.live;

  // The shared store's generation of each key as its last miss read it, and when that read ended.
  // Another instance's write between that read and the fill bumps the generation, and the fill
  // is refused: a detail read before a write on another instance never outlives the write.
  let ticks = 0;
  const misses = new Map<string, { generation: string; tick: number }>();

  const writeStore = (key: string, json: string, mark: FillMark) => {
    const failed = (error: unknown) =>
      logger.warn("cache write failed", { key, error: (error as Error).message });
    if (!store?.setIfGeneration) {
      store?.set(key, json, ttlSeconds).catch(failed);
      return;
    }
    const miss = misses.get(key);
    // Without a generation read that ended before this database read began, do not fill.
    if (!miss || miss.tick >= mark.tick) return;
    misses.delete(key);
    store.setIfGeneration(key, json, ttlSeconds, miss.generation).catch(failed);
  };

  const readStore = async (key: string): Promise<string | null> => {
    if (!store!.getForFill) return await store!.get(key);
    const { value, generation } = await store!.getForFill(key);
    if (value === null) {
      if (misses.size >= 10_000) misses.clear();
      misses.set(key, { generation, tick: ++ticks });
    }
    return value;
  };

  return {
    async getView(key) {
      if (l1Usable()) {
        const view = l1.get(key);
        if (view) {
          observe(familyOf(key), "hit");
          return view;
        }
      }
      if (!store) {
        observe(familyOf(key), "miss");
        return undefined;
      }
      const mark = l1.mark();
      try {
        const json = await readStore(key);
        observe(familyOf(key), json === null ? "miss" : "hit");
        if (json === null) return undefined;
        const view = toView(json, JSON.parse(json) as ViewMeta);
        if (l1Usable()) l1.set(key, view, mark);
        return view;
      } catch (error) {
        observe(familyOf(key), "error");
        logger.warn("cache read failed; reading from the database", {
          key,
          error: (error as Error).message,
        });
        return undefined;
      }
    },
    putView(key, value, mark) {
      const json = JSON.stringify(value);
      const view = toView(json, value);
      // A write that invalidated the key after the read began makes what was read stale.
      if (l1.isStale(key, mark.l1)) return view;
      if (l1Usable()) l1.set(key, view, mark.l1);
      writeStore(key, json, mark);
      return view;
    },
    mark: () => ({ l1: l1.mark(), tick: ++ticks }),
    async invalidate(...keys) {
      if (keys.length === 0) return;
      l1.invalidate(keys);
      if (!store) return;
      const results = await Promise.allSettled([store.del(...keys), bus?.publish(keys)]);
      const failed = results.find((result) => result.status === "rejected");
      if (failed) {
        // A stale entry outlives a failed delete by at most the TTL (the L1's safety TTL for
        // other instances when only the message was lost).
        logger.warn("cache invalidation failed", {
          keys: keys.length > 20 ? `${keys.length} keys` : keys,
          error: ((failed as PromiseRejectedResult).reason as Error)?.message,
        });
      }
    },
  };
}
