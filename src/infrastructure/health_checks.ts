import type { Dependencies } from "../dependencies.ts";
import { pingMysql } from "./mysql/pool.ts";
import { pingDatabase } from "./postgres/database.ts";
import { logger } from "../shared/logger.ts";
import type { ReplicaState } from "./postgres/replica_router.ts";

/**
 * The state of one backing service, as public as /readyz is: status and latency only; why a
 * check failed goes to the log (contract §10.3).
 */
export interface DependencyCheck {
  status: "up" | "down" | "not_configured";
  latencyMs?: number;
}

/** Readiness of every backing service; a configured, non-optional one being down makes it unavailable. */
export interface ReadinessReport {
  status: "ready" | "unavailable";
  checks: {
    postgres: DependencyCheck;
    redis: DependencyCheck;
    mysql: DependencyCheck;
    /** DATABASE_READ_URL only; never makes the instance unready (reads fall back to the primary). */
    replica?: ReplicaState;
  };
}

async function probe(
  dependency: string,
  timeoutMs: number,
  ping: () => Promise<number>,
): Promise<DependencyCheck> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const latencyMs = await Promise.race([ping(), timeout]);
    return { status: "up", latencyMs };
  } catch (error) {
    logger.warn("readiness check failed", {
      dependency,
      error: (error as Error).message || String(error),
      code: (error as { code?: unknown }).code,
    });
    return { status: "down" };
  } finally {
    clearTimeout(timer);
  }
}

/** Pings Postgres, Redis and MySQL concurrently, each bounded by READYZ_TIMEOUT_MS. */
export async function checkDependencies(
  deps: Pick<Dependencies, "config" | "db" | "store" | "mysql">,
): Promise<ReadinessReport> {
  const timeoutMs = deps.config.READYZ_TIMEOUT_MS;
  const [postgres, redis, mysql] = await Promise.all([
    probe("postgres", timeoutMs, () => pingDatabase(deps.db.sql)),
    deps.store.kind === "redis"
      ? probe("redis", timeoutMs, () => deps.store.ping())
      : Promise.resolve<DependencyCheck>({ status: "not_configured" }),
    deps.mysql
      ? probe("mysql", timeoutMs, () => pingMysql(deps.mysql!))
      : Promise.resolve<DependencyCheck>({ status: "not_configured" }),
  ]);
  // READYZ_OPTIONAL lets an operator keep instances in rotation while Redis or MySQL is down
  // (ADR 0002): the check still says "down", the answer stays 200.
  const optional = new Set(deps.config.READYZ_OPTIONAL);
  const down = postgres.status === "down" ||
    (redis.status === "down" && !optional.has("redis")) ||
    (mysql.status === "down" && !optional.has("mysql"));
  const replica = deps.db.replica?.state();
  return {
    status: down ? "unavailable" : "ready",
    checks: replica ? { postgres, redis, mysql, replica } : { postgres, redis, mysql },
  };
}
