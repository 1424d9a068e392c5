import { logger } from "../../shared/logger.ts";
import type { Sql } from "./database.ts";
import { readReplicaLagSeconds } from "./operational_queries.ts";

/** What the router last saw of the replica. */
export interface ReplicaState {
  /** `up`: reads go there; `lagging` (past the bound) or `down`: reads go to the primary. */
  status: "up" | "lagging" | "down";
  lagMs?: number;
  latencyMs?: number;
}

export interface ReplicaRouterOptions {
  maxLagMs: number;
  intervalMs: number;
  timeoutMs: number;
}

/** Chooses the pool of lag-tolerant reads and falls back to the primary without failing one. */
export interface ReplicaRouter {
  state(): ReplicaState;
  check(): Promise<ReplicaState>;
  read<T>(run: (sql: Sql) => Promise<T>): Promise<T>;
  close(): void;
}

// Connection-level failures and a standby cancelling a query for replay: the primary can answer.
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01", // admin_shutdown: the replica is stopping
  "57P02",
  "57P03", // cannot_connect_now: starting or shutting down
  "40001", // conflict with recovery on a hot standby
]);

/** True when an error says the replica could not serve the read (not that the read was wrong). */
export function isReplicaUnavailable(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  if (!code) return error instanceof Deno.errors.ConnectionRefused;
  return CONNECTION_CODES.has(code) || code.startsWith("08");
}

async function within<T>(timeoutMs: number, run: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls the replica's replay lag every `intervalMs`; reads go to it only while it answers and
 * lags at most `maxLagMs`. A read that finds it gone is run again on the primary at once, so a
 * replica stopping between two polls fails no request.
 */
export function createReplicaRouter(
  primary: Sql,
  replica: Sql,
  options: ReplicaRouterOptions,
): ReplicaRouter {
  let current: ReplicaState = { status: "down" };
  let checking: Promise<ReplicaState> | undefined;

  const transition = (next: ReplicaState, error?: string) => {
    if (next.status !== current.status) {
      const fields = { from: current.status, to: next.status, lag_ms: next.lagMs, error };
      if (next.status === "up") logger.info("read replica in use", fields);
      else logger.warn("read replica bypassed: reads go to the primary", fields);
    }
    current = next;
  };

  const check = () => {
    checking ??= (async () => {
      const started = performance.now();
      try {
        const lagSeconds = await within(options.timeoutMs, () => readReplicaLagSeconds(replica));
        const lagMs = Math.round((lagSeconds ?? 0) * 1000);
        const latencyMs = Math.round((performance.now() - started) * 10) / 10;
        transition({ status: lagMs > options.maxLagMs ? "lagging" : "up", lagMs, latencyMs });
      } catch (error) {
        transition({ status: "down" }, (error as Error).message);
      } finally {
        checking = undefined;
      }
      return current;
    })();
    return checking;
  };

  const timer = setInterval(() => void check(), options.intervalMs);
  Deno.unrefTimer(timer);

  return {
    state: () => current,
    check,
    async read(run) {
      if (current.status !== "up") return await run(primary);
      try {
        return await run(replica);
      } catch (error) {
        if (!isReplicaUnavailable(error)) throw error;
        transition({ status: "down" }, (error as Error).message);
        return await run(primary);
      }
    },
    close: () => clearInterval(timer),
  };
}
