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
  /** Age in seconds of the oldest event not yet received by every webhook it matches. */
  setWebhookRelayLag(seconds: number): void;
  /** Counts one webhook delivery attempt by outcome (a fixed set, never a URL or an id). */
  recordWebhookAttempt(outcome: WebhookAttemptOutcome): void;
  /** The exposition text of every metric. */
  render(): Promise<string>;
}

/** Outcomes of a webhook delivery attempt: delivered, retry scheduled, or finally FAILED. */
export type WebhookAttemptOutcome = "delivered" | "retrying" | "failed";

/** Latency buckets in seconds: 5 ms to 10 s, dense around the SLO range of a CRUD API. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

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
      const labels = { method, route, status: String(status) };
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
    setWebhookRelayLag(seconds) {
      relayLag.set(seconds);
    },
    recordWebhookAttempt(outcome) {
      webhookAttempts.inc({ outcome });
    },
    render: () => registry.metrics(),
  };
}
