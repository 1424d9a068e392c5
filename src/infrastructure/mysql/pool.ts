import mysql from "mysql2/promise";

/** The mysql2 pool type of the external source. */
export type MysqlPool = mysql.Pool;

/** Observes one query of the pool (duration in seconds), e.g. for metrics. */
export type MysqlQueryObserver = (seconds: number, ok: boolean) => void;

/** What /metrics shows of the pool: mysql2 keeps these queues on the pool it wraps. */
export interface MysqlPoolStats {
  max: number;
  open: number;
  inUse: number;
  queued: number;
}

interface CorePool {
  config: { connectionLimit: number };
  _allConnections: { length: number };
  _freeConnections: { length: number };
  _connectionQueue: { length: number };
}

/**
 * The pool's figures, read from mysql2's (unexported, stable since 1.x) queues. Undefined if a
 * mysql2 release renames them: the gauges then disappear instead of lying.
 */
export function mysqlPoolStats(pool: MysqlPool): MysqlPoolStats | undefined {
  const core = (pool as unknown as { pool?: Partial<CorePool> }).pool;
  const all = core?._allConnections?.length;
  const free = core?._freeConnections?.length;
  const queued = core?._connectionQueue?.length;
  const max = core?.config?.connectionLimit;
  if ([all, free, queued, max].some((value) => typeof value !== "number")) return undefined;
  return { max: max!, open: all!, inUse: all! - free!, queued: queued! };
}

/** Wraps `query` of the pool (every gateway read goes through it) to time each query. */
function observeQueries(pool: MysqlPool, observe: MysqlQueryObserver): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: typeof query }).query = async (...args) => {
    const started = performance.now();
    try {
      const result = await query(...args);
      observe((performance.now() - started) / 1000, true);
      return result;
    } catch (error) {
      observe((performance.now() - started) / 1000, false);
      throw error;
    }
  };
}

/**
 * Opens a pool to the external source in which every connection is read-only: the session is set
 * `TRANSACTION READ ONLY` before its first query, so even a stray write is refused by MySQL.
 */
export function createReadOnlyMysqlPool(
  url: string,
  options: { connectionLimit?: number; observe?: MysqlQueryObserver } = {},
) {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: options.connectionLimit ?? 5,
    connectTimeout: 3_000,
    dateStrings: false,
    timezone: "Z",
    supportBigNumbers: true,
  });
  pool.on("connection", (connection) => {
    connection.query("SET SESSION TRANSACTION READ ONLY");
  });
  if (options.observe) observeQueries(pool, options.observe);
  return pool;
}

/** Round-trips `select 1` and answers the latency in milliseconds. */
export async function pingMysql(pool: MysqlPool): Promise<number> {
  const started = performance.now();
  await pool.query("select 1");
  return Math.round((performance.now() - started) * 10) / 10;
}
