import type { Redis } from "ioredis";
import type { Config } from "./config.ts";
import type { RateLimiter } from "./application/ports/rate_limiter.ts";
import type { RoleMappingGateway, TokenSigner, TokenVerifier } from "./domain/auth/auth_ports.ts";
import { createTokenSigner, createTokenVerifier, loadJwtKeys } from "./infrastructure/auth/jwt.ts";
import { createRoleMappingGateway } from "./infrastructure/auth/role_mapping_gateway.ts";
import { createRateLimiter } from "./infrastructure/rate_limit/rate_limiter.ts";
import { cacheVerifiedTokens } from "./infrastructure/auth/verified_token_cache.ts";
import { type Cache, createCache } from "./infrastructure/cache/cache.ts";
import {
  createRedisInvalidationBus,
  type InvalidationBus,
} from "./infrastructure/cache/invalidation_bus.ts";
import { createMemoryStore, type KeyValueStore } from "./infrastructure/cache/key_value_store.ts";
import { L1Cache } from "./infrastructure/cache/l1_cache.ts";
import {
  createRedisClient,
  createRedisStore,
  waitForRedis,
} from "./infrastructure/cache/redis_store.ts";
import { logger } from "./shared/logger.ts";
import {
  type DingTalkClient,
  dingTalkClientFromConfig,
} from "./infrastructure/dingtalk/dingtalk_client.ts";
import { createReadOnlyMysqlPool, type MysqlPool } from "./infrastructure/mysql/pool.ts";
import { type Database, openDatabase } from "./infrastructure/postgres/database.ts";
import { createMetrics, type Metrics } from "./infrastructure/metrics/metrics.ts";
import { registerOperationalMetrics } from "./infrastructure/metrics/operational_metrics.ts";
import { checkDependencies, type ReadinessReport } from "./infrastructure/health_checks.ts";
import { translateDatabaseError } from "./infrastructure/postgres/errors.ts";
import type { AppError } from "./shared/errors.ts";
import {
  createWebhookSecrets,
  type WebhookSecrets,
} from "./infrastructure/webhooks/webhook_secrets.ts";
import {
  createWebhookUrlPolicy,
  type WebhookUrlPolicy,
} from "./infrastructure/webhooks/webhook_url_policy.ts";

/** Everything the app and the use cases run on; built once per process (or per test). */
export interface Dependencies {
  config: Config;
  db: Database;
  store: KeyValueStore;
  cache: Cache;
  /** Cross-instance cache invalidation when REDIS_URL is set. */
  cacheBus?: InvalidationBus;
  /** The Redis client when REDIS_URL is set (shared by cache and rate limiter). */
  redis?: Redis;
  /** The read-only external source when EXTERNAL_MYSQL_URL is set. */
  mysql?: MysqlPool;
  verifyToken: TokenVerifier;
  /** Undefined when only a public key is configured (this service cannot sign then). */
  signToken?: TokenSigner;
  roleMapping: RoleMappingGateway;
  /** Undefined when DINGTALK_APP_KEY/SECRET are not set (login answers 503 then). */
  dingtalk?: DingTalkClient;
  /** Prometheus metrics of this instance (requests, cache, sync outcomes, pools). */
  metrics: Metrics;
  /** RATE_LIMIT_PER_MINUTE per user or client IP, in Redis when configured. */
  rateLimiter: RateLimiter;
  /** Turns an error no layer translated into its AppError (outage 503, constraint 409), if any. */
  translateError: (error: unknown) => AppError | undefined;
  /** Encrypts webhook secrets at rest (WEBHOOK_SECRET_KEY). */
  webhookSecrets: WebhookSecrets;
  /** Which webhook URLs may be registered and called (WEBHOOK_ALLOW_PRIVATE). */
  webhookUrlPolicy: WebhookUrlPolicy;
  /** Set by the shutdown sequence: /readyz answers 503 while draining. */
  lifecycle: { draining: boolean };
  /** Pings every configured backing service (Postgres, replica, Redis, MySQL) for /readyz. */
  checkReadiness: () => Promise<ReadinessReport>;
  close(): Promise<void>;
}

/** Options of createDependencies beyond the configuration. */
export interface DependencyOptions {
  /** The secret used when no JWT key is configured (development only). */
  fallbackSecret?: string;
  /** An already-open database (tests, scripts); it is closed with the dependencies. */
  db?: Database;
}

/** Opens every configured backing service and builds the dependencies over them. */
export async function createDependencies(
  config: Config,
  options: DependencyOptions = {},
): Promise<Dependencies> {
  const db = options.db ?? await openDatabase(config);
  const redis = config.REDIS_URL
    ? createRedisClient(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX })
    : undefined;
  if (redis) {
    // Start without Redis if need be: the cache is bypassed until it answers (contract §8).
    await waitForRedis(redis).catch((error) =>
      logger.warn("redis not ready at start; continuing without cache", { error: error.message })
    );
  }
  const metrics = createMetrics();
  const store = redis
    ? createRedisStore(redis, { observe: metrics.observeRedisCommand })
    : createMemoryStore();
  const l1 = new L1Cache({ maxBytes: config.L1_CACHE_MAX_BYTES, ttlMs: config.L1_CACHE_TTL_MS });
  const bus: InvalidationBus | undefined = redis
    ? await createRedisInvalidationBus(redis, {
      keys: (keys) => l1.invalidate(keys),
      reset: () => l1.clear(),
    }, { keyPrefix: config.REDIS_KEY_PREFIX })
    : undefined;
  const mysql = config.EXTERNAL_MYSQL_URL
    ? createReadOnlyMysqlPool(config.EXTERNAL_MYSQL_URL, { observe: metrics.observeMysqlQuery })
    : undefined;
  const keys = await loadJwtKeys(config, options.fallbackSecret);
  const webhookSecrets = await createWebhookSecrets(config);
  metrics.setDatabasePoolMax("write", config.databasePoolMax);
  if (config.DATABASE_READ_URL) metrics.setDatabasePoolMax("read", config.databasePoolMax);
  const checkReadiness = () => checkDependencies({ config, db, store, mysql });
  registerOperationalMetrics(metrics, {
    db,
    redis,
    mysql,
    readiness: checkReadiness,
    syncWindowSeconds: config.SYNC_HEALTH_WINDOW_SECONDS,
    cacheSeconds: config.METRICS_CACHE_SECONDS,
    timeoutMs: config.READYZ_TIMEOUT_MS,
  });
  return {
    config,
    db,
    store,
    cache: createCache({
      store: redis ? store : undefined,
      ttlSeconds: config.CACHE_TTL_SECONDS,
      l1,
      bus,
      observe: metrics.observeCache,
    }),
    cacheBus: bus,
    redis,
    mysql,
    verifyToken: cacheVerifiedTokens(createTokenVerifier(keys, config)),
    signToken: createTokenSigner(keys, config),
    dingtalk: dingTalkClientFromConfig(config),
    roleMapping: createRoleMappingGateway(db.sql, {
      cacheSeconds: config.ROLE_MAPPING_CACHE_SECONDS,
    }),
    metrics,
    rateLimiter: createRateLimiter({
      points: config.RATE_LIMIT_PER_MINUTE,
      durationSeconds: 60,
      redis,
      leaseSize: config.RATE_LIMIT_LEASE_SIZE,
    }),
    translateError: translateDatabaseError,
    webhookSecrets,
    webhookUrlPolicy: createWebhookUrlPolicy(config),
    lifecycle: { draining: false },
    checkReadiness,
    async close() {
      await bus?.close();
      await Promise.allSettled([db.close(), store.close(), mysql?.end()]);
    },
  };
}
