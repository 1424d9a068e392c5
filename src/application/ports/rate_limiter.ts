/** The state of one key's budget after a request was counted. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window of this key starts over (at least 1). */
  resetSeconds: number;
}

/** Counts requests per key against a budget of `points` per `durationSeconds`. */
export interface RateLimiter {
  readonly backend: "redis" | "memory";
  consume(key: string): Promise<RateLimitDecision>;
}
