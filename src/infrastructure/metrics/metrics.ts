import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Prometheus metrics of one app instance (contract section 8), on its own registry. */
export interface Metrics {
  readonly registry: Registry;
  /** The Content-Type of `render()`: Prometheus text format 0.0.4. */
  readonly contentType: string;
  /** Counts and times one finished request; `route` is the route template, not the raw path. */
  observeRequest(
    request: { method: string; route: string; status: number; durationMs: number },
  ): void;
  /** Counts one cache lookup by key family (`customer`, `customer-group`). */
  observeCache(family: string, outcome: "hit" | "miss" | "error"): void;
  /** Counts synced records of an external source by outcome (`SUCCESS`, `FAILED`, `SKIPPED`). */
  recordSyncOutcome(source: string, status: string, count?: number): void;
  /** Publishes the configured size of a Postgres pool (`write`, `read`). */
  setDatabasePoolMax(pool: string, max: number): void;
  /** Counts a Postgres error that reached a request's error handler, by SQLSTATE class. */
  observeDatabaseError(error: unknown): void;
  /** Times one named statement of a Postgres pool (only statements off the request hot path). */
  observeStatement(pool: string, statement: string, seconds: number): void;
  /** Times one Redis command of the cache; a failed command also counts as an error. */
  observeRedisCommand(command: RedisCommand, seconds: number, ok: boolean): void;
  /** Counts one Redis connection error (the client's `error` event). */
  observeRedisConnectionError(): void;
  /** Times one query of the external MySQL source; a failed query also counts as an error. */
  observeMysqlQuery(seconds: number, ok: boolean): void;
  /** Age in seconds of the oldest event not yet received by every webhook it matches. */
  setWebhookRelayLag(seconds: number): void;
  /** Counts one webhook delivery attempt by outcome (a fixed set, never a URL or an id). */
  recordWebhookAttempt(outcome: WebhookAttemptOutcome): void;
  /** The exposition text of every metric. */
  render(): Promise<string>;
}

/** The Redis commands the cache issues (a fixed label set). */
export type RedisCommand = "get" | "set" | "unlink" | "ping";
const REDIS_COMMANDS: RedisCommand[] = ["get", "set", "unlink", "ping"];
/** Methods counted by name; any other (`XA1`) is `OTHER`, so clients cannot mint series. */
const METHOD_LABELS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The method label of a request (contract §10.3). */
export function methodLabel(method: string): string {
  return METHOD_LABELS.has(method) ? method : "OTHER";
}
/** Outcomes of a webhook delivery attempt: delivered, retry scheduled, or finally FAILED. */
export type WebhookAttemptOutcome = "delivered" | "retrying" | "failed";

/** Latency buckets in seconds: 5 ms to 10 s, dense around the SLO range of a CRUD API. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Store round trips are sub-millisecond when healthy: start at 0.25 ms. */
const STORE_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Prefix of the metrics added with the pool, store and sync-health figures (ADR 0130). */
export const METRIC_PREFIX = "customer_service_";

/**
 * The SQLSTATE class (first two characters) of a Postgres error, `connection` for a client-side
 * connection failure, undefined for anything else. Classes are a fixed set of about 40, so the
 * label stays bounded even on unexpected input.
 */
export function sqlStateClass(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  if (/^[0-9A-Z]{5}$/.test(code)) return code.slice(0, 2);
  return /^(CONNECT|CONNECTION)_|^E(CONNREFUSED|CONNRESET|PIPE|HOSTUNREACH|TIMEDOUT)$/.test(code)
    ? "connection"
    : undefined;
}

/** Creates the metrics on a fresh registry, so app instances and tests never clash. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency in seconds by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const cache = new Counter({
    name: "cache_requests_total",
    help: "Cache lookups by key family and outcome (hit, miss, error)",
    labelNames: ["family", "outcome"] as const,
    registers,
  });
  const sync = new Counter({
    name: "external_sync_records_total",
    help: "External source records synced, by source and status",
    labelNames: ["source", "status"] as const,
    registers,
  });
  const poolMax = new Gauge({
    name: "db_pool_max_connections",
    help: "Configured maximum connections of each Postgres pool",
    labelNames: ["pool"] as const,
    registers,
  });
  const dbErrors = new Counter({
    name: `${METRIC_PREFIX}db_errors_total`,
    help: "Postgres errors that reached a request's error handler, by SQLSTATE class",
    labelNames: ["class"] as const,
    registers,
  });
  const statements = new Histogram({
    name: `${METRIC_PREFIX}db_query_duration_seconds`,
    help: "Duration of named Postgres statements (off the request hot path) in seconds",
    labelNames: ["pool", "statement"] as const,
    buckets: STORE_BUCKETS,
    registers,
  });
  const redisDuration = new Histogram({
    name: `${METRIC_PREFIX}redis_command_duration_seconds`,
    help: "Duration of the cache's Redis commands in seconds",
    labelNames: ["command"] as const,
    buckets: STORE_BUCKETS,
    registers,
  });
  const redisErrors = new Counter({
    name: `${METRIC_PREFIX}redis_errors_total`,
    help: "Redis errors: failed commands (kind=command) and connection errors (kind=connection)",
    labelNames: ["kind"] as const,
    registers,
  });
  const mysqlDuration = new Histogram({
    name: `${METRIC_PREFIX}mysql_query_duration_seconds`,
    help: "Duration of queries of the external MySQL source in seconds",
    buckets: STORE_BUCKETS,
    registers,
  });
  const mysqlErrors = new Counter({
    name: `${METRIC_PREFIX}mysql_errors_total`,
    help: "Failed queries of the external MySQL source",
    registers,
  });
  // Bound once: a cached detail read pays for one observe, not for hashing a label set.
  const redisTimers = new Map(
    REDIS_COMMANDS.map((command) => [command, redisDuration.labels(command)]),
  );
  const redisCommandErrors = redisErrors.labels("command");
  redisErrors.labels("connection").inc(0);
  redisCommandErrors.inc(0);
  mysqlErrors.inc(0);
  const relayLag = new Gauge({
    name: "webhook_relay_lag_seconds",
    help: "Age of the oldest domain event not yet delivered to every webhook it matches",
    registers,
  });
  const webhookAttempts = new Counter({
    name: "webhook_delivery_attempts_total",
    help: "Webhook delivery attempts by outcome (delivered, retrying, failed)",
    labelNames: ["outcome"] as const,
    registers,
  });
  return {
    registry,
    contentType: registry.contentType,
    observeRequest({ method, route, status, durationMs }) {
      const labels = { method: methodLabel(method), route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, durationMs / 1000);
    },
    observeCache(family, outcome) {
      cache.inc({ family, outcome });
    },
    recordSyncOutcome(source, status, count = 1) {
      sync.inc({ source, status }, count);
    },
    setDatabasePoolMax(pool, max) {
      poolMax.set({ pool }, max);
    },
    observeDatabaseError(error) {
      const errorClass = sqlStateClass(error);
      if (errorClass) dbErrors.inc({ class: errorClass });
    },
    observeStatement(pool, statement, seconds) {
      statements.observe({ pool, statement }, seconds);
    },
    observeRedisCommand(command, seconds, ok) {
      redisTimers.get(command)?.observe(seconds);
      if (!ok) redisCommandErrors.inc();
    },
    observeRedisConnectionError() {
      redisErrors.inc({ kind: "connection" });
    },
    observeMysqlQuery(seconds, ok) {
      mysqlDuration.observe(seconds);
      if (!ok) mysqlErrors.inc();
    },
    setWebhookRelayLag(seconds) {
      relayLag.set(seconds);
    },
    recordWebhookAttempt(outcome) {
      webhookAttempts.inc({ outcome });
    },
    render: () => registry.metrics(),
  };
}
