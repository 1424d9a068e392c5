import type { Redis } from "ioredis";
import { Gauge } from "prom-client";
import type { Database } from "../postgres/database.ts";
import { type MysqlPool, mysqlPoolStats } from "../mysql/pool.ts";
import {
  readReplicaLagSeconds,
  readSyncHealth,
  type SourceSyncHealth,
} from "../postgres/operational_queries.ts";
import type { ReadinessReport } from "../health_checks.ts";
import { logger } from "../../shared/logger.ts";
import { METRIC_PREFIX, type Metrics } from "./metrics.ts";

/** What the scrape-time gauges read. */
export interface OperationalSources {
  db: Database;
  redis?: Redis;
  mysql?: MysqlPool;
  /** The /readyz check of every configured dependency. */
  readiness(): Promise<ReadinessReport>;
  /** Window of the sync failure ratio, in seconds. */
  syncWindowSeconds: number;
  /** The database figures are read at most once per this many seconds (one scrape interval). */
  cacheSeconds: number;
  /** Upper bound of one database read of a scrape, in milliseconds. */
  timeoutMs: number;
}

/** The database-backed figures of one scrape, shared by every gauge that shows a part of it. */
interface Snapshot {
  sync?: SourceSyncHealth[];
  replicaLagSeconds?: number;
  readiness?: ReadinessReport;
}

async function bounded<T>(timeoutMs: number, run: () => Promise<T>): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([run(), timeout]);
  } catch (error) {
    logger.warn("metrics: a scrape-time read failed", { error: (error as Error).message });
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads the snapshot at most once per `cacheSeconds`, and only one read at a time: however many
 * scrapers (or instances' Prometheus replicas) ask, the database sees one sync-health query per
 * interval, and none between scrapes.
 */
function cachedSnapshot(sources: OperationalSources, metrics: Metrics): () => Promise<Snapshot> {
  let last: { at: number; value: Promise<Snapshot> } | undefined;
  const timedStatement = async <T>(pool: string, statement: string, run: () => Promise<T>) => {
    const started = performance.now();
    const result = await run();
    metrics.observeStatement(pool, statement, (performance.now() - started) / 1000);
    return result;
  };
  const read = async (): Promise<Snapshot> => {
    const { db } = sources;
    const [sync, replicaLagSeconds, readiness] = await Promise.all([
      bounded(
        sources.timeoutMs,
        () =>
          timedStatement(
            "write",
            "sync_health",
            () => readSyncHealth(db.sql, sources.syncWindowSeconds),
          ),
      ),
      db.readSql !== db.sql
        ? bounded(
          sources.timeoutMs,
          () => timedStatement("read", "replica_lag", () => readReplicaLagSeconds(db.readSql)),
        )
        : Promise.resolve(undefined),
      bounded(sources.timeoutMs + 100, () => sources.readiness()),
    ]);
    return { sync, replicaLagSeconds, readiness };
  };
  return () => {
    const now = performance.now();
    if (!last || now - last.at >= sources.cacheSeconds * 1000) {
      last = { at: now, value: read() };
    }
    return last.value;
  };
}

/** A gauge whose values are set on each scrape by `fill` (after a reset, so stale series go). */
function scrapeGauge<L extends string>(
  metrics: Metrics,
  definition: { name: string; help: string; labelNames?: readonly L[] },
  fill: (gauge: Gauge<L>) => void | Promise<void>,
): void {
  new Gauge<L>({
    name: `${METRIC_PREFIX}${definition.name}`,
    help: definition.help,
    labelNames: definition.labelNames ?? [],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      await fill(this);
    },
  });
}

/**
 * Registers the gauges read at scrape time: pool figures of Postgres, Redis and MySQL (no cost on
 * any request), sync health and readiness (database reads, cached per scrape interval).
 */
export function registerOperationalMetrics(metrics: Metrics, sources: OperationalSources): void {
  const pools = sources.db.pools ?? [];
  scrapeGauge(metrics, {
    name: "db_pool_max_connections",
    help: "Configured maximum connections of each Postgres pool (write, read)",
    labelNames: ["pool"],
  }, (gauge) => {
    for (const pool of pools) gauge.set({ pool: pool.name }, pool.max);
  });
  scrapeGauge(metrics, {
    name: "db_pool_open_connections",
    help: "Open connections of each Postgres pool (postgres.js opens one only when all are busy)",
    labelNames: ["pool"],
  }, (gauge) => {
    for (const pool of pools) {
      const open = pool.open();
      if (open !== undefined) gauge.set({ pool: pool.name }, open);
    }
  });

  const redis = sources.redis;
  if (redis) {
    redis.on("error", () => metrics.observeRedisConnectionError());
    scrapeGauge(metrics, {
      name: "redis_connected",
      help: "1 when the Redis client is connected and ready, else 0",
    }, (gauge) => {
      gauge.set(redis.status === "ready" ? 1 : 0);
    });
  }

  const mysql = sources.mysql;
  if (mysql) {
    const figures = [
      ["mysql_pool_max_connections", "Configured maximum connections of the MySQL pool", "max"],
      ["mysql_pool_open_connections", "Open connections of the MySQL pool", "open"],
      ["mysql_pool_in_use_connections", "MySQL pool connections running a query", "inUse"],
      ["mysql_pool_queued_requests", "Requests waiting for a MySQL pool connection", "queued"],
    ] as const;
    for (const [name, help, field] of figures) {
      scrapeGauge(metrics, { name, help }, (gauge) => {
        const stats = mysqlPoolStats(mysql);
        if (stats) gauge.set(stats[field]);
      });
    }
  }

  const snapshot = cachedSnapshot(sources, metrics);
  scrapeGauge(metrics, {
    name: "sync_window_records",
    help: "external_system_sync rows of the sync-health window, by source and status",
    labelNames: ["source", "status"],
  }, async (gauge) => {
    for (const health of (await snapshot()).sync ?? []) {
      gauge.set({ source: health.source, status: "SUCCESS" }, health.succeeded);
      gauge.set({ source: health.source, status: "FAILED" }, health.failed);
    }
  });
  scrapeGauge(metrics, {
    name: "sync_failure_ratio",
    help: "FAILED / (SUCCESS + FAILED) sync rows of the window, by source (0 without rows)",
    labelNames: ["source"],
  }, async (gauge) => {
    for (const health of (await snapshot()).sync ?? []) {
      const total = health.succeeded + health.failed;
      gauge.set({ source: health.source }, total === 0 ? 0 : health.failed / total);
    }
  });
  scrapeGauge(metrics, {
    name: "sync_last_success_timestamp_seconds",
    help: "Unix time of the newest SUCCESS sync row, by source (absent when there is none)",
    labelNames: ["source"],
  }, async (gauge) => {
    for (const health of (await snapshot()).sync ?? []) {
      if (health.lastSuccessAt) {
        gauge.set({ source: health.source }, health.lastSuccessAt.getTime() / 1000);
      }
    }
  });
  scrapeGauge(metrics, {
    name: "sync_window_seconds",
    help: "Length of the sync-health window in seconds",
  }, (gauge) => {
    gauge.set(sources.syncWindowSeconds);
  });
  scrapeGauge(metrics, {
    name: "db_replica_lag_seconds",
    help: "Seconds the read replica's replay is behind (absent without DATABASE_READ_URL)",
  }, async (gauge) => {
    // The replica router polls the lag every second anyway: its figure is fresher and free.
    const routed = sources.db.replica?.state();
    const lag = routed ? routed.lagMs && routed.lagMs / 1000 : (await snapshot()).replicaLagSeconds;
    if (lag !== undefined) gauge.set(lag);
  });
  scrapeGauge(metrics, {
    name: "db_replica_in_use",
    help: "1 while lag-tolerant reads go to the replica, 0 while they fall back to the primary",
  }, (gauge) => {
    const routed = sources.db.replica?.state();
    if (routed) gauge.set(routed.status === "up" ? 1 : 0);
  });
  scrapeGauge(metrics, {
    name: "dependency_up",
    help: "1 when a configured dependency answers its readiness probe, else 0",
    labelNames: ["dependency"],
  }, async (gauge) => {
    const readiness = (await snapshot()).readiness;
    const checks = readiness?.checks ?? { postgres: { status: "down" as const } };
    for (const [dependency, check] of Object.entries(checks)) {
      if (check.status !== "not_configured") {
        gauge.set({ dependency }, check.status === "up" ? 1 : 0);
      }
    }
  });
  scrapeGauge(metrics, {
    name: "ready",
    help: "1 when /readyz would answer 200, else 0",
  }, async (gauge) => {
    gauge.set((await snapshot()).readiness?.status === "ready" ? 1 : 0);
  });
}
