import mysql from "mysql2/promise";

/** The mysql2 pool type of the external source. */
export type MysqlPool = mysql.Pool;

/**
 * Opens a pool to the external source in which every connection is read-only: the session is set
 * `TRANSACTION READ ONLY` before its first query, so even a stray write is refused by MySQL.
 */
export function createReadOnlyMysqlPool(url: string, options: { connectionLimit?: number } = {}) {
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
  return pool;
}

/** Round-trips `select 1` and answers the latency in milliseconds. */
export async function pingMysql(pool: MysqlPool): Promise<number> {
  const started = performance.now();
  await pool.query("select 1");
  return Math.round((performance.now() - started) * 10) / 10;
}
