/**
 * `deno task check-connections`: Postgres, Redis and MySQL, each reachable or not with latency,
 * `not configured` for unset ones; exit 1 when a configured one is unreachable.
 */
import { loadConfig } from "../src/config.ts";
import {
  createRedisClient,
  createRedisStore,
  waitForRedis,
} from "../src/infrastructure/cache/redis_store.ts";
import { createReadOnlyMysqlPool, pingMysql } from "../src/infrastructure/mysql/pool.ts";
import { openPool, pingDatabase } from "../src/infrastructure/postgres/database.ts";
import { configureLogging } from "../src/shared/logger.ts";
import { exitOnConfigError } from "./cli.ts";

const config = exitOnConfigError(loadConfig);
configureLogging({ level: "error" });

const TIMEOUT_MS = 5_000;

async function check(
  name: string,
  url: string | undefined,
  ping: (url: string) => Promise<number>,
) {
  if (!url) {
    console.log(`${name.padEnd(9)} not configured`);
    return true;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const latency = await Promise.race([
      ping(url),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)),
          TIMEOUT_MS,
        );
      }),
    ]);
    console.log(`${name.padEnd(9)} reachable   ${latency} ms`);
    return true;
  } catch (error) {
    console.log(`${name.padEnd(9)} UNREACHABLE ${(error as Error).message || String(error)}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const results = [
  await check(
    "postgres",
    config.DATABASE_URL,
    async (url) => {
      const sql = openPool(url, { max: 1, connectTimeoutSeconds: 5 });
      try {
        return await pingDatabase(sql);
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  ),
  await check("redis", config.REDIS_URL, async (url) => {
    const client = createRedisClient(url);
    const store = createRedisStore(client);
    try {
      await waitForRedis(client, TIMEOUT_MS);
      return await store.ping();
    } finally {
      await store.close();
    }
  }),
  await check("mysql", config.EXTERNAL_MYSQL_URL, async (url) => {
    const pool = createReadOnlyMysqlPool(url, { connectionLimit: 1 });
    try {
      return await pingMysql(pool);
    } finally {
      await pool.end();
    }
  }),
];
if (!config.DATABASE_URL) {
  console.log("(postgres: embedded PGlite is used when DATABASE_URL is unset)");
}
Deno.exit(results.every(Boolean) ? 0 : 1);
