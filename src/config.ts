import { z } from "zod";
import { productionProblems } from "./config_production.ts";

const optionalString = z.string().trim().min(1).optional();
const url = (protocols: string[]) =>
  z.string().trim().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL with scheme ${protocols.join(" or ")}`);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const boolean = z.enum(["true", "false", "1", "0"]).transform((value) =>
  value === "true" || value === "1"
);

/** Every environment variable the service reads (contract section 2, plus documented extras). */
const environmentSchema = z.object({
  PORT: int(0, 65535).default(8000),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  APP_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  DATABASE_READ_URL: url(["postgres:", "postgresql:"]).optional(),
  DATABASE_READ_MAX_LAG_MS: int(0, 3_600_000).default(5_000),
  DATABASE_PREPARE: boolean.default(true),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: int(0, 600_000).default(15_000),
  DATABASE_CONNECT_TIMEOUT_SECONDS: int(1, 120).default(5),
  PGLITE_DIR: z.string().trim().min(1).default(".data/pglite"),
  REDIS_URL: url(["redis:", "rediss:"]).optional(),
  REDIS_KEY_PREFIX: z.string().default(""),
  EXTERNAL_MYSQL_URL: url(["mysql:"]).optional(),
  JWT_SECRET: z.string().min(32, "must be at least 32 bytes").optional(),
  JWT_PUBLIC_KEY: optionalString,
  CURSOR_SECRET: z.string().min(32, "must be at least 32 bytes").optional(),
  JWT_JWKS_URL: url(["http:", "https:"]).optional(),
  JWT_PRIVATE_KEY: optionalString,
  JWT_ISSUER: z.string().trim().min(1).default("customer-service"),
  JWT_AUDIENCE: z.string().trim().min(1).default("customer-api"),
  // Roles live in the token: a revoked DingTalk role works until it expires (docs/auth.md).
  JWT_TTL_SECONDS: int(60, 7 * 24 * 3600).default(3600),
  CACHE_TTL_SECONDS: int(1, 7 * 24 * 3600).default(300),
  L1_CACHE_MAX_BYTES: int(0, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  L1_CACHE_TTL_MS: int(0, 3_600_000).default(5_000),
  ROLE_MAPPING_CACHE_SECONDS: int(0, 3600).default(30),
  RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(600),
  RATE_LIMIT_LEASE_SIZE: int(1, 1_000).optional(),
  METRICS_TOKEN: optionalString,
  METRICS_CACHE_SECONDS: int(0, 3600).default(10),
  SYNC_HEALTH_WINDOW_SECONDS: int(60, 7 * 24 * 3600).default(900),
  /** Production refuses an unprotected /metrics unless this says so on purpose (§10.3). */
  METRICS_PUBLIC: boolean.default(false),
  SLOW_REQUEST_MS: int(1, 600_000).default(500),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
  SHUTDOWN_DRAIN_MS: int(0, 600_000).default(0),
  DINGTALK_APP_KEY: optionalString,
  DINGTALK_APP_SECRET: optionalString,
  DINGTALK_API_BASE: url(["http:", "https:"]).default("https://api.dingtalk.com"),
  DINGTALK_OAPI_BASE: url(["http:", "https:"]).default("https://oapi.dingtalk.com"),
  DINGTALK_TIMEOUT_MS: int(100, 60_000).default(5_000),
  SYNC_OPERATOR_UID: z.string().trim().min(1).default("system-sync"),
  SYNC_OPERATOR_NAME: z.string().trim().min(1).default("External sync"),
  READYZ_TIMEOUT_MS: int(50, 30_000).default(2_000),
  READYZ_OPTIONAL: z.string().default("").transform((value, context) => {
    const names = value.split(",").map((name) => name.trim()).filter(Boolean);
    const unknown = names.filter((name) => name !== "redis" && name !== "mysql");
    if (unknown.length > 0) {
      context.addIssue({
        code: "custom",
        message: `only redis and mysql may be optional, got ${unknown}`,
      });
    }
    return names as ("redis" | "mysql")[];
  }),
  TRUST_PROXY: boolean.default(false),
  // Webhooks (contract §10.7, docs/webhooks.md).
  WEBHOOK_SECRET_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  WEBHOOK_ALLOW_PRIVATE: boolean.default(false),
  WEBHOOK_TIMEOUT_MS: int(10, 60_000).default(5_000),
  WEBHOOK_RETRY_BASE_MS: int(1, 3_600_000).default(10_000),
  WEBHOOK_RETRY_MAX_MS: int(1, 86_400_000).default(3_600_000),
  WEBHOOK_RELAY_ENABLED: boolean.default(true),
  WEBHOOK_RELAY_POLL_MS: int(10, 60_000).default(1_000),
  WEBHOOK_RELAY_BATCH: int(1, 500).default(20),
  WEBHOOK_RELAY_LEASE_MS: int(100, 3_600_000).default(60_000),
});

export type Environment = z.infer<typeof environmentSchema>;

/** The parsed configuration of one process. */
export interface Config extends Environment {
  /** Pool size actually used: the embedded database serves one connection. */
  databasePoolMax: number;
  embeddedDatabase: boolean;
}

/** A configuration error that names the offending variable(s). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses the environment once; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join("; ")}`);
  }
  const environment = parsed.data;
  // A relay stops starting requests at half its lease; one more request (up to the time-out)
  // must still end before the lease does, or another instance could send the same event.
  if (environment.WEBHOOK_RELAY_LEASE_MS < 3 * environment.WEBHOOK_TIMEOUT_MS) {
    throw new ConfigError(
      "invalid configuration: WEBHOOK_RELAY_LEASE_MS must be at least 3 × WEBHOOK_TIMEOUT_MS",
    );
  }
  if (environment.APP_ENV === "production") {
    const problems = productionProblems(environment);
    if (problems.length > 0) {
      throw new ConfigError(
        `invalid configuration: APP_ENV=production: ${problems.join("; ")}`,
      );
    }
  }
  const embeddedDatabase = !environment.DATABASE_URL;
  return {
    ...environment,
    embeddedDatabase,
    databasePoolMax: embeddedDatabase ? 1 : environment.DATABASE_POOL_MAX,
  };
}
