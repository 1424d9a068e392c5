/** The small store behind the cache: Redis when REDIS_URL is set, else in process. */
export interface KeyValueStore {
  readonly kind: "redis" | "memory";
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Deletes the keys (and, in a shared store, bumps their fill generation). */
  del(...keys: string[]): Promise<void>;
  /**
   * A shared store's read for a cache fill: the value and the key's generation (bumped by every
   * `del`), so a fill can be refused when a delete came in between.
   */
  getForFill?(key: string): Promise<{ value: string | null; generation: string }>;
  /** Sets the key only while its generation is still `generation`; answers whether it did. */
  setIfGeneration?(
    key: string,
    value: string,
    ttlSeconds: number,
    generation: string,
  ): Promise<boolean>;
  /** Answers the round-trip latency in milliseconds; throws when unreachable. */
  ping(): Promise<number>;
  close(): Promise<void>;
}

/** An in-process store with the same TTL behaviour as Redis; one process only. */
export function createMemoryStore(now: () => number = Date.now): KeyValueStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const sweep = () => {
    const time = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= time) entries.delete(key);
  };
  return {
    kind: "memory",
    get(key) {
      const entry = entries.get(key);
      if (!entry) return Promise.resolve(null);
      if (entry.expiresAt <= now()) {
        entries.delete(key);
        return Promise.resolve(null);
      }
      return Promise.resolve(entry.value);
    },
    set(key, value, ttlSeconds) {
      // Bounded growth: expired entries are swept whenever the map gets large.
      if (entries.size >= 10_000) sweep();
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
      return Promise.resolve();
    },
    del(...keys) {
      for (const key of keys) entries.delete(key);
      return Promise.resolve();
    },
    ping: () => Promise.resolve(0),
    close() {
      entries.clear();
      return Promise.resolve();
    },
  };
}
