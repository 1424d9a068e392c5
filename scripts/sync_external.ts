/**
 * `deno task sync-external [--since ISO] [--remote-ids a,b] [--batch 250] [--concurrency N]
 * [--async-commit] [--json]`: imports the external customer source (EXTERNAL_MYSQL_URL) into the service's
 * Postgres as the configured system operator (SYNC_OPERATOR_UID / SYNC_OPERATOR_NAME, every
 * enabled business domain). Progress goes to stderr, the summary to stdout. Exit 0 when no row
 * failed, 2 when some did, 1 on a fatal error. See docs/sync.md.
 */
import {
  DEFAULT_BATCH_SIZE,
  importExternalCustomers,
} from "../src/application/sync/import_external_customers.ts";
import { type Config, loadConfig } from "../src/config.ts";
import { createDependencies, type Dependencies } from "../src/dependencies.ts";
import type { CurrentUser } from "../src/domain/auth/current_user.ts";
import { vacuumAfterImport } from "../src/infrastructure/postgres/external_sync_repository.ts";
import { listEnabledDomainCodes } from "../src/infrastructure/postgres/role_mapping_repository.ts";
import { configureLogging } from "../src/shared/logger.ts";
import { runWithContext } from "../src/shared/request_context.ts";
import { exitOnConfigError, parseFlags } from "./cli.ts";

const USAGE =
  "usage: deno task sync-external [--since ISO-8601] [--remote-ids a,b,c] [--batch 250] " +
  "[--concurrency 8] [--async-commit] [--json]";
/** Rows read from the source per page (at least one batch). */
const PAGE_SIZE = 1000;
/** Failed rows listed in the text summary; the rest are in GET /external-sync. */
const LISTED_FAILURES = 50;

interface Options {
  since?: Date;
  remoteIds?: string[];
  batch: number;
  concurrency?: number;
  asyncCommit: boolean;
  json: boolean;
}

class UsageError extends Error {}

function integerFlag(flags: Map<string, string>, name: string, min: number, max: number) {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${raw}`);
  }
  return value;
}

function parseOptions(args: string[]): Options {
  const flags = parseFlags(args);
  const known = new Set([
    "since",
    "remote-ids",
    "batch",
    "concurrency",
    "async-commit",
    "json",
    "help",
  ]);
  for (const name of flags.keys()) {
    if (!known.has(name)) throw new UsageError(`unknown flag --${name}`);
  }
  if (flags.has("help")) throw new UsageError("");
  const options: Options = {
    batch: integerFlag(flags, "batch", 1, 10_000) ?? DEFAULT_BATCH_SIZE,
    concurrency: integerFlag(flags, "concurrency", 1, 64),
    asyncCommit: flags.has("async-commit"),
    json: flags.has("json"),
  };
  const since = flags.get("since");
  if (since !== undefined) {
    const date = new Date(since);
    if (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(date.getTime())) {
      throw new UsageError(`--since must be an ISO-8601 date or datetime, got ${since}`);
    }
    options.since = date;
  }
  const remoteIds = flags.get("remote-ids");
  if (remoteIds !== undefined) {
    options.remoteIds = [
      ...new Set(remoteIds.split(",").map((id) => id.trim()).filter(Boolean)),
    ];
    if (options.remoteIds.length === 0) throw new UsageError("--remote-ids is empty");
  }
  return options;
}

/**
 * The environment of this run. `--async-commit` sets `synchronous_commit=off` on the import's own
 * connections (a startup parameter; PgBouncer must list it in ignore_startup_parameters or pass
 * it): a crash may then lose the last few hundred milliseconds of commits, each customer together
 * with its SUCCESS row, and the next run simply imports those rows again (ADR 0044).
 */
function importEnvironment(options: Options): Record<string, string | undefined> {
  const env = Deno.env.toObject();
  if (options.asyncCommit && env.DATABASE_URL) {
    const url = new URL(env.DATABASE_URL);
    if (!url.searchParams.has("synchronous_commit")) {
      url.searchParams.set("synchronous_commit", "off");
    }
    env.DATABASE_URL = url.toString();
  }
  return env;
}

/** The configured system operator: acts in every enabled business domain. */
async function systemOperator(deps: Dependencies, config: Config): Promise<CurrentUser> {
  return {
    dingUserId: config.SYNC_OPERATOR_UID,
    name: config.SYNC_OPERATOR_NAME,
    unionId: "",
    roles: [],
    positions: [],
    departments: [],
    domainCodes: await listEnabledDomainCodes(deps.db.sql),
  };
}

/**
 * Default concurrency: up to 4 batch transactions in flight, two pool connections left spare.
 * On 2 cores, 4 beat 2 and 8 (ADR 0070): enough to overlap commits with the next batches' work.
 */
function defaultConcurrency(config: Config): number {
  return Math.max(1, Math.min(4, config.databasePoolMax - 2));
}

function progressWriter() {
  const encoder = new TextEncoder();
  const interactive = Deno.stderr.isTerminal();
  const started = performance.now();
  let lastWrite = 0;
  return {
    update(done: number, total: number, failed: number, final = false) {
      const now = performance.now();
      if (!final && now - lastWrite < (interactive ? 200 : 1000)) return;
      lastWrite = now;
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? Math.round(done / seconds) : 0;
      const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
      const line = `sync-external: ${done}/${total} rows (${percent}%), ${rate} rows/s, ` +
        `${failed} failed`;
      Deno.stderr.writeSync(encoder.encode(interactive ? `\r${line}\x1b[K` : `${line}\n`));
      if (final && interactive) Deno.stderr.writeSync(encoder.encode("\n"));
    },
    seconds: () => (performance.now() - started) / 1000,
  };
}

/**
 * The imported rows made visible to index-only reads at once (ADR 0144); the run's time includes
 * it. A failure is reported, not fatal: the rows are imported, and autovacuum does it later.
 */
async function vacuumImported(deps: Dependencies, seconds: () => number): Promise<void> {
  const started = seconds();
  try {
    await vacuumAfterImport(deps.db.sql);
    console.error(
      `sync-external: vacuumed the imported tables in ${
        Math.round((seconds() - started) * 1000)
      } ms`,
    );
  } catch (error) {
    console.error(
      `sync-external: vacuum after the import failed (autovacuum will do it): ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
}

async function run(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) console.error(error.message);
      console.error(USAGE);
      return 1;
    }
    throw error;
  }
  const config = exitOnConfigError(() => loadConfig(importEnvironment(options)));
  if (!config.EXTERNAL_MYSQL_URL) {
    console.error("sync-external: EXTERNAL_MYSQL_URL is not set; there is no source to import");
    return 1;
  }
  // JSON log lines go to stderr so stdout carries only the summary.
  configureLogging({ level: config.LOG_LEVEL, sink: (line) => console.error(line) });
  const deps = await createDependencies(config, {
    fallbackSecret: crypto.randomUUID() + crypto.randomUUID(),
  });
  try {
    const user = await systemOperator(deps, config);
    const traceId = crypto.randomUUID().replaceAll("-", "");
    const progress = progressWriter();
    let last = { done: 0, total: 0, failed: 0 };
    const summary = await runWithContext(
      { traceId, dingUserId: user.dingUserId, fields: { job: "sync-external" } },
      () =>
        importExternalCustomers(deps, {
          user,
          source: "RB",
          remoteIds: options.remoteIds,
          updatedSince: options.since,
          // Rows per transaction; a page read from the source feeds several of them.
          batchSize: options.batch,
          pageSize: Math.max(PAGE_SIZE, options.batch),
          concurrency: options.concurrency ?? defaultConcurrency(config),
          keepItems: "failed",
          onProgress: (state) => {
            last = state;
            progress.update(state.done, state.total, state.failed);
          },
        }),
    );
    progress.update(last.done, last.total, summary.failed, true);
    if (summary.imported > 0) await vacuumImported(deps, progress.seconds);
    const seconds = progress.seconds();
    const rows = summary.imported + summary.skipped + summary.failed;
    if (options.json) {
      console.log(JSON.stringify({
        imported: summary.imported,
        skipped: summary.skipped,
        failed: summary.failed,
        rows,
        seconds: Math.round(seconds * 1000) / 1000,
        traceId,
        failures: summary.items,
      }));
    } else {
      console.log(
        `sync-external finished: ${rows} rows, imported ${summary.imported}, skipped ` +
          `${summary.skipped}, failed ${summary.failed} in ${seconds.toFixed(1)} s ` +
          `(${Math.round(rows / Math.max(seconds, 0.001))} rows/s), trace id ${traceId}`,
      );
      for (const item of summary.items.slice(0, LISTED_FAILURES)) {
        console.log(`  FAILED ${item.remoteId} ${item.errorCode}`);
      }
      if (summary.items.length > LISTED_FAILURES) {
        console.log(
          `  ... and ${summary.items.length - LISTED_FAILURES} more: ` +
            `GET /external-sync?syncStatus=FAILED`,
        );
      }
    }
    return summary.failed > 0 ? 2 : 0;
  } finally {
    await deps.close();
  }
}

if (import.meta.main) {
  let code: number;
  try {
    code = await run();
  } catch (error) {
    console.error(`sync-external failed: ${error instanceof Error ? error.message : error}`);
    code = 1;
  }
  Deno.exit(code);
}
