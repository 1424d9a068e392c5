import { createApp } from "./app.ts";
import { purgeExpiredIdempotencyKeys } from "./application/idempotency/purge_expired_idempotency_keys.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { createDependencies } from "./dependencies.ts";
import { migrate } from "./infrastructure/postgres/migrator.ts";
import { startWebhookRelay } from "./infrastructure/webhooks/webhook_relay.ts";
import { configureLogging, logger } from "./shared/logger.ts";

/** Expired Idempotency-Keys are deleted this often, a bounded batch per run (ADR 0100). */
const IDEMPOTENCY_PURGE_INTERVAL_MS = 10 * 60 * 1000;

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      Deno.exit(1);
    }
    throw error;
  }
  configureLogging({ level: config.LOG_LEVEL });
  const noKey = !config.JWT_SECRET && !config.JWT_PUBLIC_KEY && !config.JWT_JWKS_URL;
  if (noKey && config.APP_ENV !== "development") {
    console.error(
      "invalid configuration: JWT_SECRET (or JWT_PUBLIC_KEY / JWT_JWKS_URL) is required",
    );
    Deno.exit(1);
  }
  const fallbackSecret = noKey ? randomSecret() : undefined;
  let deps;
  try {
    deps = await createDependencies(config, { fallbackSecret });
  } catch (error) {
    // A key variable that does not parse is a bad value too: say which, without a stack trace.
    if (error instanceof ConfigError) {
      console.error(`invalid configuration: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
  const applied = await migrate(deps.db.sql);
  if (applied.length > 0) logger.info("migrations applied", { migrations: applied });

  const relay = config.WEBHOOK_RELAY_ENABLED
    ? startWebhookRelay({ ...deps, sql: deps.db.sql })
    : undefined;
  const app = createApp(deps);
  const server = Deno.serve({
    hostname: config.HOST,
    port: config.PORT,
    onListen: ({ hostname, port }) => {
      logger.info("listening", {
        url: `http://${hostname}:${port}`,
        database: deps.db.kind,
        cache: deps.store.kind,
        ready_ms: Math.round(performance.now() - startedAt),
      });
    },
  }, app.fetch);

  if (fallbackSecret && deps.signToken) {
    const { token } = await deps.signToken({
      dingUserId: "dev-admin",
      name: "Development Admin",
      unionId: "",
      roles: ["ROLE_ADMIN"],
      positions: [],
      departments: [],
    }, 12 * 3600);
    console.log(
      `\nDevelopment mode: no JWT key configured, so this process signs with a random secret.\n` +
        `Admin token (12 h, this process only):\n\n  Authorization: Bearer ${token}\n`,
    );
  }

  const purge = setInterval(() => {
    purgeExpiredIdempotencyKeys(deps).catch((error) =>
      logger.warn("idempotency key purge failed", { error: (error as Error).message })
    );
  }, IDEMPOTENCY_PURGE_INTERVAL_MS);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal, drain_ms: config.SHUTDOWN_DRAIN_MS });
    // Keep serving while /readyz says 503, so a load balancer's health check takes this instance
    // out of rotation before the listener closes and no new request meets a refused connection.
    deps.lifecycle.draining = true;
    if (config.SHUTDOWN_DRAIN_MS > 0) {
      await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DRAIN_MS));
    }
    clearInterval(purge);
    const grace = new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_GRACE_MS));
    // The relay finishes its in-flight deliveries and gives its webhook leases back meanwhile.
    await Promise.race([Promise.all([server.shutdown(), relay?.stop()]), grace]);
    await deps.close();
    logger.info("stopped");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => void stop("SIGINT"));
}

if (import.meta.main) await main();
