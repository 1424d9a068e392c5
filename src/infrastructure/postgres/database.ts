import postgres from "postgres";
import type { Config } from "../../config.ts";
import { logger } from "../../shared/logger.ts";

/** The postgres.js client type used everywhere (also for a transaction `tx`). */
export type Sql = postgres.Sql<Record<string, never>>;
/** A transaction of the client (it can open savepoints). */
export type TransactionSql = postgres.TransactionSql<Record<string, never>>;
/** A postgres.js client or a transaction of one: repositories accept either. */
export type Queryable = Sql | TransactionSql;

/** The service's Postgres: a writer pool, a reader pool (a replica or the same) and close(). */
export interface Database {
  sql: Sql;
  /** Lists and searches only; never a read that decides a write. */
  readSql: Sql;
  kind: "postgres" | "embedded";
  close(): Promise<void>;
}

interface PoolOptions {
  max: number;
  connectTimeoutSeconds: number;
  statementTimeoutMs?: number;
}

/** Opens a postgres.js pool with the service's conventions (bigint as number, no notices). */
export function openPool(url: string, options: PoolOptions): Sql {
  return postgres(url, {
    max: options.max,
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
    };
    const sql = openPool(config.DATABASE_URL, options);
    const readSql = config.DATABASE_READ_URL ? openPool(config.DATABASE_READ_URL, options) : sql;
    return {
      sql,
      readSql,
      kind: "postgres",
      close: async () => {
        await sql.end({ timeout: 5 });
        if (readSql !== sql) await readSql.end({ timeout: 5 });
      },
    };
  }
  const { startEmbeddedPostgres } = await import("./embedded_postgres.ts");
  const embedded = await startEmbeddedPostgres(config.PGLITE_DIR);
  logger.info("embedded postgres started", { dataDir: config.PGLITE_DIR, port: embedded.port });
  const sql = openPool(embedded.url, {
    max: 1,
    connectTimeoutSeconds: config.DATABASE_CONNECT_TIMEOUT_SECONDS,
  });
  return {
    sql,
    readSql: sql,
    kind: "embedded",
    close: async () => {
      await sql.end({ timeout: 5 });
      await embedded.stop();
    },
  };
}

/** Round-trips `select 1` and answers the latency in milliseconds. */
export async function pingDatabase(sql: Sql): Promise<number> {
  const started = performance.now();
  await sql`select 1`;
  return Math.round((performance.now() - started) * 10) / 10;
}
