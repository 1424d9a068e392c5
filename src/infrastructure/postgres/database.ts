import postgres from "postgres";
import type { Config } from "../../config.ts";
import { logger } from "../../shared/logger.ts";
import { createConnectionCounter, isSingleTcpHost } from "./connection_counter.ts";
import { createReplicaRouter, type ReplicaRouter } from "./replica_router.ts";

/** The postgres.js client type used everywhere (also for a transaction `tx`). */
export type Sql = postgres.Sql<Record<string, never>>;
/** A transaction of the client (it can open savepoints). */
export type TransactionSql = postgres.TransactionSql<Record<string, never>>;
/** A postgres.js client or a transaction of one: repositories accept either. */
export type Queryable = Sql | TransactionSql;

/** What /metrics shows of one postgres.js pool. */
export interface PoolGauge {
  /** `write` (the writer pool) or `read` (the replica pool, when one is configured). */
  name: "write" | "read";
  max: number;
  /** Connections open now; undefined where the pool cannot be observed (multi-host URL). */
  open(): number | undefined;
}

/** The service's Postgres: a writer pool, a reader pool (a replica or the same) and close(). */
export interface Database {
  sql: Sql;
  /** The replica pool (or the primary's when none is configured); prefer `read`. */
  readSql: Sql;
  /**
   * Runs a lag-tolerant read (lists, searches, exports; never one that decides a write) on the
   * replica while it is up and within DATABASE_READ_MAX_LAG_MS, else on the primary.
   */
  read<T>(run: (sql: Sql) => Promise<T>): Promise<T>;
  /** The replica's routing state when DATABASE_READ_URL is set. */
  replica?: ReplicaRouter;
  kind: "postgres" | "embedded";
  /** One entry per distinct pool, for metrics. */
  pools?: PoolGauge[];
  close(): Promise<void>;
}

interface PoolOptions {
  max: number;
  connectTimeoutSeconds: number;
  statementTimeoutMs?: number;
  /** False behind a PgBouncer older than 1.21 in transaction pooling (no prepared statements). */
  prepare?: boolean;
}

/** Opens a pool and the gauge that observes it. */
function openObservedPool(name: PoolGauge["name"], url: string, options: PoolOptions) {
  const counter = isSingleTcpHost(url) ? createConnectionCounter() : undefined;
  const sql = openPool(url, options, counter?.socket);
  const gauge: PoolGauge = { name, max: options.max, open: () => counter?.open() };
  return { sql, gauge };
}

/** Opens a postgres.js pool with the service's conventions (bigint as number, no notices). */
export function openPool(
  url: string,
  options: PoolOptions,
  socket?: ReturnType<typeof createConnectionCounter>["socket"],
): Sql {
  return postgres(url, {
    ...(socket ? { socket: socket as never } : {}),
    max: options.max,
    prepare: options.prepare ?? true,
    connect_timeout: options.connectTimeoutSeconds,
    idle_timeout: 60,
    onnotice: () => {},
    // Ids are bigint in SQL and JSON numbers in the API: identities stay far below 2^53.
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number | bigint) => String(value),
        parse: (value: string) => Number(value),
      },
    },
    connection: {
      application_name: "customer-service",
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
  }) as unknown as Sql;
}

/** Opens the configured Postgres, or the embedded one when DATABASE_URL is unset. */
export async function openDatabase(config: Config): Promise<Database> {
  if (config.DATABASE_URL) {
    const options = {
      max: config.databasePoolMax,
      connectTimeoutSeconds: config.DATABASE_CONNECT_TIMEOUT_SECONDS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      prepare: config.DATABASE_PREPARE,
    };
    const writer = openObservedPool("write", config.DATABASE_URL, options);
    const reader = config.DATABASE_READ_URL
      ? openObservedPool("read", config.DATABASE_READ_URL, options)
      : undefined;
    const sql = writer.sql;
    const readSql = reader?.sql ?? sql;
    const replica = reader
      ? createReplicaRouter(sql, readSql, {
        maxLagMs: config.DATABASE_READ_MAX_LAG_MS,
        intervalMs: 1000,
        timeoutMs: config.READYZ_TIMEOUT_MS,
      })
      : undefined;
    // The first reads already know whether the replica can take them.
    await replica?.check();
    return {
      sql,
      readSql,
      read: replica ? replica.read : (run) => run(sql),
      replica,
      kind: "postgres",
      pools: reader ? [writer.gauge, reader.gauge] : [writer.gauge],
      close: async () => {
        replica?.close();
        await sql.end({ timeout: 5 });
        if (readSql !== sql) await readSql.end({ timeout: 5 });
      },
    };
  }
  const { startEmbeddedPostgres } = await import("./embedded_postgres.ts");
  const embedded = await startEmbeddedPostgres(config.PGLITE_DIR);
  logger.info("embedded postgres started", { dataDir: config.PGLITE_DIR, port: embedded.port });
  const { sql, gauge } = openObservedPool("write", embedded.url, {
    max: 1,
    connectTimeoutSeconds: config.DATABASE_CONNECT_TIMEOUT_SECONDS,
  });
  return {
    sql,
    readSql: sql,
    read: (run) => run(sql),
    kind: "embedded",
    pools: [gauge],
    close: async () => {
      await sql.end({ timeout: 5 });
      await embedded.stop();
    },
  };
}

/**
 * `run` in a transaction that only reads, a round trip shorter than `sql.begin()`: BEGIN goes out
 * with the first statement of `run` instead of alone. COMMIT, or ROLLBACK after a failure, is
 * awaited before the connection goes back to the pool: left in flight, it was seen to keep the
 * transaction (and its locks) open behind a loaded client (ADR 0117).
 */
export async function readTransaction<T>(
  pool: Sql,
  run: (tx: Sql) => Promise<T>,
): Promise<T> {
  const tx = await pool.reserve();
  try {
    // A failed BEGIN fails the statements sent behind it: they hold the error to report.
    tx`begin`.execute().catch(() => {});
    let result: T;
    try {
      result = await run(tx);
    } catch (error) {
      await tx`rollback`.catch(() => {});
      throw error;
    }
    await tx`commit`;
    return result;
  } finally {
    tx.release();
  }
}

/** Round-trips `select 1` and answers the latency in milliseconds. */
export async function pingDatabase(sql: Sql): Promise<number> {
  const started = performance.now();
  await sql`select 1`;
  return Math.round((performance.now() - started) * 10) / 10;
}
