/** A cached detail as it is served: the response bytes plus what authorisation and ETag need. */
export interface CachedView {
  body: Uint8Array;
  version: number;
  businessDomain: string;
}

interface Entry {
  view: CachedView;
  expiresAt: number;
}

/** Options of the in-process cache. */
export interface L1Options {
  maxBytes: number;
  ttlMs: number;
  now?: () => number;
}

/**
 * The in-process tier (L1): an LRU bounded by the bytes of its bodies, with a short safety TTL
 * that bounds staleness when an invalidation message is lost.
 *
 * Fills race with writes: a reader that read the database before a write committed must not
 * store what it read after the write's invalidation arrived. `mark()` is taken before the read;
 * `isStale(key, mark)` answers whether an invalidation of that key came after it.
 */
export class L1Cache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxBytes: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #bytes = 0;
  /** Counts invalidations; `#invalidatedAt` keeps the count at each key's last one. */
  #sequence = 0;
  readonly #invalidatedAt = new Map<string, number>();
  /** Marks below the floor are stale for every key (after the per-key map was pruned). */
  #floor = 0;

  constructor(options: L1Options) {
    this.#maxBytes = options.maxBytes;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): CachedView | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) {
      this.#bytes -= entry.view.body.byteLength;
      return undefined;
    }
    // Re-inserting moves the key to the young end of the Map's order: the LRU order.
    this.#entries.set(key, entry);
    return entry.view;
  }

  /** Stores a view read before `mark`, unless the key was invalidated since. */
  set(key: string, view: CachedView, mark: number): void {
    if (this.isStale(key, mark) || view.body.byteLength > this.#maxBytes) return;
    this.#remove(key);
    this.#entries.set(key, { view, expiresAt: this.#now() + this.#ttlMs });
    this.#bytes += view.body.byteLength;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.view.body.byteLength;
    }
  }

  /** The current position in the invalidation sequence; take it before reading what you store. */
  mark(): number {
    return this.#sequence;
  }

  isStale(key: string, mark: number): boolean {
    return mark < this.#floor || (this.#invalidatedAt.get(key) ?? -1) >= mark;
  }

  /** Drops the keys and remembers when, so fills that started earlier are not stored. */
  invalidate(keys: readonly string[]): void {
    for (const key of keys) {
      this.#remove(key);
      this.#invalidatedAt.set(key, this.#sequence);
    }
    this.#sequence++;
    if (this.#invalidatedAt.size > 50_000) {
      // Bounded memory: forget per-key marks and treat every fill in flight as stale instead.
      this.#invalidatedAt.clear();
      this.#floor = this.#sequence;
    }
  }

  /** Drops everything and makes every fill in flight stale (a lost subscription). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
    this.#invalidatedAt.clear();
    this.#sequence++;
    this.#floor = this.#sequence;
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.view.body.byteLength;
  }
}
