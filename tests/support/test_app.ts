import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createDependencies, type Dependencies } from "../../src/dependencies.ts";
import { configureLogging } from "../../src/shared/logger.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { signTestToken, TEST_SECRET, type TestUser } from "./tokens.ts";

export const REDIS_URL = Deno.env.get("TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";
export const MYSQL_URL = Deno.env.get("TEST_MYSQL_URL") ?? "mysql://root@127.0.0.1:3306/test";

/** An app on its own fresh database and its own Redis key prefix. */
export interface TestApp {
  app: ReturnType<typeof createApp>;
  deps: Dependencies;
  db: TestDatabase;
  /** The Redis key prefix of this app (keys are `${prefix}customer:1`). */
  redisPrefix: string;
  /** Sends a request; `as` signs a token for that user, `body` is sent as JSON. */
  request(
    method: string,
    path: string,
    options?: { as?: TestUser; token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

/** Options of startTestApp. */
export interface TestAppOptions {
  /** Environment overrides (e.g. REDIS_URL pointing at a closed port). */
  env?: Record<string, string | undefined>;
  /** false: in-process cache instead of the real Redis. */
  redis?: boolean;
  /** A second instance of this app: same database and Redis prefix, closed without a drop. */
  instanceOf?: TestApp;
}

/** Starts the app on a fresh migrated database of the real Postgres and the real Redis. */
export async function startTestApp(label: string, options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.instanceOf?.db ?? await createTestDatabase(label);
  const redisPrefix = options.instanceOf?.redisPrefix ?? `test:${db.name}:`;
  const config = loadConfig({
    APP_ENV: "test",
    LOG_LEVEL: "error",
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: "5",
    REDIS_URL: options.redis === false ? undefined : REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix,
    JWT_SECRET: TEST_SECRET,
    ROLE_MAPPING_CACHE_SECONDS: "0",
    ...options.env,
  });
  configureLogging({ level: config.LOG_LEVEL });
  const deps = await createDependencies(config);
  const app = createApp(deps);
  return {
    app,
    deps,
    db,
    redisPrefix,
    async request(method, path, requestOptions = {}) {
      const headers: Record<string, string> = { ...requestOptions.headers };
      if (requestOptions.as) {
        headers.authorization = `Bearer ${await signTestToken(requestOptions.as)}`;
      } else if (requestOptions.token) headers.authorization = `Bearer ${requestOptions.token}`;
      let body: string | undefined;
      if (requestOptions.body !== undefined) {
        body = typeof requestOptions.body === "string"
          ? requestOptions.body
          : JSON.stringify(requestOptions.body);
        headers["content-type"] ??= "application/json";
      }
      return await app.request(path, { method, headers, body });
    },
    async close() {
      await deps.close();
      if (!options.instanceOf) await db.drop();
    },
  };
}
