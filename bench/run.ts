/**
 * `deno task bench [--quick] [--customers N] [--sync-rows N] [--duration S] [--connections N]
 * [--reuse] [--out FILE]`: seeds a dedicated database, starts the service and the floor, loads
 * them from separate worker processes and prints requests/s, p50/p95/p99 and PASS/MISS per target
 * of issue 9. See docs/performance.md.
 */
import { SignJWT } from "jose";
import { generateRows, loadFixture } from "../scripts/load_fixture.ts";
import { parseFlags } from "../scripts/cli.ts";
import {
  countSeededCustomers,
  customerIdRange,
  databaseUrl,
  groupCandidates,
  mysqlDatabaseUrl,
  recreateMysqlDatabase,
  recreatePostgresDatabase,
  sampleCustomerNames,
} from "./bench_database.ts";
import { cursorWalk, exportRun } from "./list_export_scenarios.ts";
import { runWrk, wrkInstalled, type WrkResult } from "./wrk.ts";
import type { LoadResult } from "./load_generator.ts";
import type { LoadScenario } from "./load_worker.ts";
import {
  freePort,
  residentMiB,
  runScript,
  type Server,
  startServer,
  stopAll,
} from "./processes.ts";
import {
  floorTargets,
  latencyTarget,
  type ScenarioResult,
  scenarioTable,
  targetLines,
  type TargetResult,
} from "./report.ts";

const USAGE = "usage: deno task bench [--quick] [--customers N] [--sync-rows N] [--duration S] " +
  "[--connections N] [--list-connections N] [--reuse] [--out FILE]";

const ROOT = new URL("../", import.meta.url).pathname;
const DATABASE = Deno.env.get("BENCH_DATABASE") ?? "cms_bench";
const POSTGRES_ADMIN_URL = Deno.env.get("BENCH_POSTGRES_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = Deno.env.get("BENCH_REDIS_URL") ?? "redis://127.0.0.1:6379";
const MYSQL_ADMIN_URL = Deno.env.get("BENCH_MYSQL_URL") ?? "mysql://root@127.0.0.1:3306/test";
const GROUP_DOMAIN = "GENERAL_WAREHOUSING";
const GROUP_MEMBERS = 10_000;
/** Keywords of 3+ characters, from frequent (thousands of matches per million) to rare. */
export const KEYWORDS = [
  "Logistics",
  "Harbor",
  "Pacific Freight",
  "有限公司",
  "上海恒通",
  "冷链 1",
  "Apex Pharma",
  "12345",
  "MN-0000",
  "Evergreen Foods Inc",
];
const STATUSES = ["ACTIVE", "PENDING", "SUSPENDED", "TERMINATED"];
const DOMAINS = ["GENERAL_WAREHOUSING", "COLD_CHAIN", "BONDED_WAREHOUSING", "CROSS_BORDER"];

interface Settings {
  quick: boolean;
  customers: number;
  syncRows: number;
  durationMs: number;
  warmupMs: number;
  connections: number;
  /** Connections of the list scenarios, whose targets are latencies, not capacity. */
  listConnections: number;
  groupRuns: number;
  reuse: boolean;
  out?: string;
}

function settingsFrom(args: string[]): Settings {
  const flags = parseFlags(args);
  if (flags.has("help")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const quick = flags.has("quick");
  const number = (name: string, fallback: number) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      console.error(`--${name} must be a positive number, got ${raw}\n${USAGE}`);
      Deno.exit(2);
    }
    return value;
  };
  return {
    quick,
    customers: Math.round(number("customers", quick ? 10_000 : 1_000_000)),
    syncRows: Math.round(number("sync-rows", quick ? 10_000 : 100_000)),
    durationMs: number("duration", quick ? 5 : 15) * 1000,
    warmupMs: quick ? 1_500 : 3_000,
    connections: Math.round(number("connections", 16)),
    listConnections: Math.round(number("list-connections", 4)),
    groupRuns: quick ? 6 : 12,
    reuse: flags.has("reuse"),
    out: flags.get("out"),
  };
}

const startedAt = performance.now();

function progress(message: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  console.log(`[bench ${seconds}s] ${message}`);
}

/** The parent's environment without any setting of the service, plus `overrides`. */
function childEnv(overrides: Record<string, string>): Record<string, string> {
  const env = Deno.env.toObject();
  for (const key of Object.keys(env)) {
    if (/^(DATABASE_|REDIS_|EXTERNAL_|JWT_|CACHE_|RATE_|METRICS_|APP_ENV|PORT$|HOST$)/.test(key)) {
      delete env[key];
    }
  }
  return { ...env, ...overrides };
}

async function loadWorker(scenario: LoadScenario): Promise<LoadResult> {
  const { code, stdout } = await runScript(
    `${ROOT}bench/load_worker.ts`,
    [JSON.stringify(scenario)],
    { env: childEnv({}), captureStdout: true },
  );
  if (code !== 0) throw new Error(`load worker exited with ${code}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as LoadResult;
}

async function measure(
  name: string,
  settings: Settings,
  load: Omit<LoadScenario, "connections" | "durationMs" | "warmupMs">,
  connections = settings.connections,
): Promise<ScenarioResult> {
  progress(`${name}: ${connections} connections, ${settings.durationMs / 1000} s`);
  const result = await loadWorker({
    ...load,
    connections,
    durationMs: settings.durationMs,
    warmupMs: settings.warmupMs,
  });
  const failed = result.errors + result.non2xx;
  progress(
    `${name}: ${result.rps} req/s, p50 ${result.p50} ms, p95 ${result.p95} ms, ` +
      `p99 ${result.p99} ms${failed ? `, ${failed} FAILED requests` : ""}`,
  );
  return { name, ...result };
}

async function adminToken(secret: string, role = "ROLE_ADMIN"): Promise<string> {
  return await new SignJWT({
    name: "Bench User",
    union_id: "bench-union",
    roles: [role],
    positions: [],
    departments: [],
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(`bench-${role.toLowerCase()}`)
    .setIssuer("customer-service")
    .setAudience("customer-api")
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(secret));
}

async function prepareDatabase(settings: Settings, url: string): Promise<void> {
  if (settings.reuse) {
    const existing = await countSeededCustomers(url);
    if (existing >= settings.customers) {
      progress(`reusing ${DATABASE}: ${existing} customers; applying new migrations`);
      // Before the service starts, so a new index build is not counted as start-up time.
      const migrated = await runScript(`${ROOT}scripts/migrate.ts`, [], {
        env: childEnv({ DATABASE_URL: url, LOG_LEVEL: "warn" }),
      });
      if (migrated.code !== 0) throw new Error(`migrate exited with ${migrated.code}`);
      return;
    }
    progress(`--reuse: ${DATABASE} has ${existing} customers, seeding afresh`);
  }
  progress(`creating Postgres database ${DATABASE}`);
  await recreatePostgresDatabase(POSTGRES_ADMIN_URL, DATABASE);
  progress(`seeding ${settings.customers} customers (deno task seed)`);
  const seed = await runScript(`${ROOT}scripts/seed.ts`, [
    "--customers",
    String(settings.customers),
  ], { env: childEnv({ DATABASE_URL: url, LOG_LEVEL: "warn" }) });
  if (seed.code !== 0) throw new Error(`seed exited with ${seed.code}`);
  progress(`seeded in ${(seed.ms / 1000).toFixed(1)} s`);
}

async function clearRedisPrefix(prefix: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function groupScenario(
  service: Server,
  token: string,
  url: string,
  runs: number,
): Promise<ScenarioResult> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const candidates = await groupCandidates(url, GROUP_DOMAIN, GROUP_MEMBERS + GROUP_MEMBERS / 2);
  if (candidates.added > 0) {
    progress(`group: added ${candidates.added} ACTIVE ${GROUP_DOMAIN} customers for the members`);
  }
  const created = await fetch(`${service.url}/customer-groups`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      groupName: `Bench ${Date.now()}`,
      businessDomain: GROUP_DOMAIN,
      maxMember: GROUP_MEMBERS,
    }),
  });
  if (created.status !== 201) {
    throw new Error(`POST /customer-groups answered ${created.status}: ${await created.text()}`);
  }
  const { id } = await created.json() as { id: number };
  // Two member sets overlapping by half: every replacement removes 5 000 and adds 5 000.
  const sets = [
    candidates.ids.slice(0, GROUP_MEMBERS),
    candidates.ids.slice(GROUP_MEMBERS / 2, GROUP_MEMBERS / 2 + GROUP_MEMBERS),
  ];
  const latencies: number[] = [];
  let failed = 0;
  progress(`group ${id}: ${runs} replacements of ${GROUP_MEMBERS} members (one warm-up)`);
  for (let run = 0; run <= runs; run++) {
    const body = JSON.stringify({ customerIds: sets[run % 2] });
    const started = performance.now();
    const response = await fetch(`${service.url}/customer-groups/${id}/members`, {
      method: "PUT",
      headers,
      body,
    });
    const text = await response.text();
    const ms = performance.now() - started;
    if (response.status !== 200) {
      failed++;
      progress(`group: PUT answered ${response.status}: ${text.slice(0, 200)}`);
    }
    if (run > 0) latencies.push(ms);
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round(
      latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] * 100,
    ) /
    100;
  const total = latencies.reduce((sum, ms) => sum + ms, 0);
  return {
    name: "(5) PUT group members x10000",
    requests: latencies.length,
    errors: 0,
    non2xx: failed,
    rps: Math.round((latencies.length / total) * 1000 * 10) / 10,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
  };
}

async function syncScenario(
  settings: Settings,
  env: Record<string, string>,
): Promise<
  { rows: number; seconds: number; wallSeconds: number; imported: number; failed: number }
> {
  const mysqlUrl = mysqlDatabaseUrl(MYSQL_ADMIN_URL, DATABASE);
  progress(`sync: creating MariaDB database ${DATABASE} with the fixture`);
  await recreateMysqlDatabase(MYSQL_ADMIN_URL, DATABASE);
  await loadFixture(mysqlUrl);
  const generateStarted = performance.now();
  let lastProgress = 0;
  await generateRows(mysqlUrl, settings.syncRows, {
    batch: 2_000,
    prefix: "BENCH-",
    onProgress: (done, total) => {
      if (done === total || performance.now() - lastProgress > 2_000) {
        lastProgress = performance.now();
        progress(`sync: generated ${done}/${total} rb_customer rows`);
      }
    },
  });
  progress(
    `sync: source ready in ${((performance.now() - generateStarted) / 1000).toFixed(1)} s; ` +
      `running deno task sync-external --json`,
  );
  const result = await runScript(`${ROOT}scripts/sync_external.ts`, ["--json"], {
    env: { ...env, EXTERNAL_MYSQL_URL: mysqlUrl },
    captureStdout: true,
  });
  // Exit 2 means some rows failed: the fixture holds deliberately invalid rows.
  if (result.code !== 0 && result.code !== 2) {
    throw new Error(`sync-external exited with ${result.code}`);
  }
  const summary = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as {
    rows: number;
    seconds: number;
    imported: number;
    failed: number;
  };
  return { ...summary, wallSeconds: result.ms / 1000 };
}

async function main(): Promise<void> {
  const settings = settingsFrom(Deno.args);
  progress(
    `${settings.quick ? "quick" : "full"} run: ${settings.customers} customers, ` +
      `${settings.syncRows} sync rows, ${settings.durationMs / 1000} s per load`,
  );
  const url = databaseUrl(POSTGRES_ADMIN_URL, DATABASE);
  await prepareDatabase(settings, url);
  const range = await customerIdRange(url);
  await clearRedisPrefix("bench:");

  const secret = crypto.randomUUID() + crypto.randomUUID();
  const token = await adminToken(secret);
  const auth = { authorization: `Bearer ${token}` };
  const coldToken = await adminToken(secret, "ROLE_COLD_AGENT");
  const serviceEnv = (overrides: Record<string, string>) =>
    childEnv({
      DATABASE_URL: url,
      REDIS_URL,
      REDIS_KEY_PREFIX: "bench:",
      JWT_SECRET: secret,
      APP_ENV: "test",
      LOG_LEVEL: "warn",
      RATE_LIMIT_PER_MINUTE: "1000000",
      // Slow-request warnings would flood the output at saturation; the figures say it anyway.
      SLOW_REQUEST_MS: "60000",
      ...overrides,
    });

  const results: ScenarioResult[] = [];
  const targets: TargetResult[] = [];
  progress("starting the service (cached) and the floor");
  const service = await startService(serviceEnv);
  progress(`service ready in ${service.readyMs} ms (pid ${service.pid})`);
  const floorPort = freePort();
  const floor = await startServer("floor", `${ROOT}bench/floor.ts`, {
    env: childEnv({ DATABASE_URL: url }),
    port: floorPort,
    args: [String(floorPort)],
    readyPath: `/customers/${range.from}`,
  });

  const hot = { from: range.from, count: Math.min(1_000, range.count) };
  const floorHot = await measure("floor, 1 000 hot ids", settings, {
    template: `${floor.url}/customers/{id}`,
    ids: hot,
  });
  const cached = await measure("(1) GET /customers/{id} cached", settings, {
    template: `${service.url}/customers/{id}`,
    ids: hot,
    headers: auth,
  });
  results.push(floorHot, { ...cached, floor: floorHot });

  const walk = { from: range.from, count: range.count, step: 7 };
  const floorWalk = await measure("floor, every id", settings, {
    template: `${floor.url}/customers/{id}`,
    ids: walk,
  });
  progress("starting a second service instance without L1 and CACHE_TTL_SECONDS=1 (uncached)");
  const uncachedService = await startService((overrides) =>
    serviceEnv({
      ...overrides,
      CACHE_TTL_SECONDS: "1",
      // Without the in-process tier too: every read of the walk goes to Postgres.
      L1_CACHE_MAX_BYTES: "0",
      REDIS_KEY_PREFIX: "bench:uncached:",
    })
  );
  progress(`uncached instance ready in ${uncachedService.readyMs} ms`);
  const uncached = await measure("(2) GET /customers/{id} uncached", settings, {
    template: `${uncachedService.url}/customers/{id}`,
    ids: walk,
    headers: auth,
  });
  const wrkLines = await wrkPass(settings, token, {
    floor: floor.url,
    cached: service.url,
    uncached: uncachedService.url,
  }, { hot: { ...hot, step: 1 }, walk });
  await uncachedService.stop();
  results.push(floorWalk, { ...uncached, floor: floorWalk });
  await floor.stop();

  const keyword = await measure("(3) GET /customers?keyword=", settings, {
    urls: KEYWORDS.map((word) =>
      `${service.url}/customers?keyword=${encodeURIComponent(word)}&pageSize=20`
    ),
    headers: auth,
  }, settings.listConnections);
  const filtered = await measure("(4) GET /customers domain+status", settings, {
    urls: DOMAINS.flatMap((domain) =>
      STATUSES.map((status) =>
        `${service.url}/customers?businessDomain=${domain}&status=${status}&pageSize=20`
      )
    ),
    headers: auth,
  }, settings.listConnections);
  const names = await sampleCustomerNames(url, 40);
  const duplicates = await measure("(10) GET /customers/possible-duplicates", settings, {
    urls: names.map(({ name, domain }) =>
      `${service.url}/customers/possible-duplicates?customerName=${
        encodeURIComponent(name)
      }&businessDomain=${domain}`
    ),
    headers: auth,
  }, settings.listConnections);
  results.push(keyword, filtered, duplicates);
  // Issue 18: the keyword mix per sort and user kind (the full run; the quick run keeps (3)).
  const keywordMatrix = settings.quick ? [] : await keywordMatrixScenarios(
    settings,
    service.url,
    { admin: auth, "COLD_CHAIN user": { authorization: `Bearer ${coldToken}` } },
  );
  results.push(...keywordMatrix);
  const group = await groupScenario(service, token, url, settings.groupRuns);
  results.push(group);
  const rss = residentMiB(service.pid);
  progress(`service RSS after the load: ${rss} MiB`);
  const customerCount = await countSeededCustomers(url);
  progress("(8) walking every customer by cursor, 100 per page");
  const walked = await cursorWalk(service.url, token);
  progress(
    `(8) cursor walk: ${walked.rows} rows in ${walked.pages} pages, ${walked.rowsPerSecond} ` +
      `rows/s, ${walked.repeated} repeated`,
  );
  progress("(9) exporting every customer as CSV");
  const exported = await exportRun(service.url, token, service.pid);
  progress(
    `(9) export: ${exported.rows} rows, ${(exported.bytes / 1048576).toFixed(1)} MiB in ` +
      `${exported.seconds.toFixed(1)} s, ${exported.rowsPerSecond} rows/s, RSS ` +
      `${exported.rssBeforeMiB} -> peak ${exported.peakRssMiB} MiB`,
  );
  await service.stop();

  const sync = await syncScenario(settings, serviceEnv({}));
  const rowsPerSecond = Math.round(sync.rows / sync.wallSeconds);
  progress(
    `sync: ${sync.rows} rows (${sync.imported} imported, ${sync.failed} failed) in ` +
      `${sync.wallSeconds.toFixed(1)} s wall (${sync.seconds.toFixed(1)} s import): ` +
      `${rowsPerSecond} rows/s`,
  );
  // Issue 18 asks for the keyword mix after later writes too: the import's rows, other names than
  // the seed's, are the newest, at the head of the default sort (ADR 0117).
  const afterWrites = settings.quick ? [] : await keywordsAfterWrites(
    settings,
    serviceEnv,
    { admin: auth, "COLD_CHAIN user": { authorization: `Bearer ${coldToken}` } },
    `after ${sync.imported} imported`,
  );
  results.push(...afterWrites);

  targets.push(
    ...floorTargets(results[1]),
    ...floorTargets(results[3]),
    ...floorTargets(results[1], { throughput: 1.0, p99: 1.5, issue: 14 }),
    ...floorTargets(results[3], { throughput: 0.6, p99: 2, issue: 14 }),
    latencyTarget(keyword, "p95", 30),
    ...[...keywordMatrix, ...afterWrites].map((result) => latencyTarget(result, "p95", 30)),
    latencyTarget(duplicates, "p95", 30),
    latencyTarget(group, "p95", 300),
    {
      name: `(6) sync-external over ${sync.rows} rows >= 3000 rows/s`,
      pass: rowsPerSecond >= 3_000,
      measured: `${rowsPerSecond} rows/s (${sync.wallSeconds.toFixed(1)} s wall)`,
    },
    { name: "(7) service RSS after the load <= 150 MB", pass: rss <= 150, measured: `${rss} MiB` },
    {
      name: `(8) cursor walk of ${customerCount} customers: every row once`,
      pass: walked.rows === customerCount && walked.repeated === 0,
      measured: `${walked.rows} rows, ${walked.repeated} repeated, ${walked.rowsPerSecond} rows/s`,
    },
    {
      name: `(9) export of ${customerCount} customers: every row, peak RSS <= 150 MB`,
      pass: exported.rows === customerCount && exported.peakRssMiB <= 150,
      measured: `${exported.rows} rows, ${exported.rowsPerSecond} rows/s, ` +
        `peak ${exported.peakRssMiB} MiB`,
    },
    {
      name: "(7) spawn to /readyz 200 <= 1.5 s (external Postgres)",
      pass: service.readyMs <= 1_500,
      measured: `${service.readyMs} ms (second instance ${uncachedService.readyMs} ms)`,
    },
  );
  console.log(`\n${scenarioTable(results)}\n`);
  console.log(
    `(6) sync-external: ${rowsPerSecond} rows/s over ${sync.rows} rows; ` +
      `(7) RSS ${rss} MiB, ready ${service.readyMs} ms\n`,
  );
  if (wrkLines.length > 0) console.log(`${wrkLines.join("\n")}\n`);
  console.log(targetLines(targets));
  const missed = targets.filter((target) => !target.pass).length;
  console.log(
    `\n${targets.length - missed} PASS, ${missed} MISS in ` +
      `${((performance.now() - startedAt) / 1000).toFixed(0)} s`,
  );
  if (settings.out) {
    await Deno.writeTextFile(
      settings.out,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          settings,
          results,
          sync: { ...sync, rowsPerSecond },
          rss,
          cursorWalk: walked,
          export: exported,
          readyMs: [service.readyMs, uncachedService.readyMs],
          targets,
        },
        null,
        2,
      ) + "\n",
    );
  }
}

/** Issue 14: the detail scenarios again with wrk, when installed; figures, not targets. */
async function wrkPass(
  settings: Settings,
  token: string,
  urls: { floor: string; cached: string; uncached: string },
  ids: { hot: { from: number; count: number; step: number }; walk: typeof ids.hot },
): Promise<string[]> {
  if (!await wrkInstalled()) {
    progress("wrk is not installed (apt-get install wrk): no second load generator");
    return [];
  }
  const run = (url: string, walk: typeof ids.hot, withToken: boolean) =>
    runWrk(url, walk, {
      connections: settings.connections,
      seconds: Math.max(3, settings.durationMs / 3000),
      token: withToken ? token : undefined,
    });
  const floorHot = await run(urls.floor, ids.hot, false);
  const cached = await run(urls.cached, ids.hot, true);
  const floorWalk = await run(urls.floor, ids.walk, false);
  const uncached = await run(urls.uncached, ids.walk, true);
  const line = (name: string, result: WrkResult, floor: WrkResult) =>
    `wrk: ${name}: ${result.rps} req/s (${(result.rps / floor.rps).toFixed(2)}x floor ` +
    `${floor.rps}), p99 ${result.p99} ms (${(result.p99 / floor.p99).toFixed(2)}x floor)`;
  const lines = [
    line("(1) cached detail", cached, floorHot),
    line("(2) uncached detail", uncached, floorWalk),
  ];
  lines.forEach((text) => progress(text));
  return lines;
}

const KEYWORD_SORTS = ["-createdAt", "customerName", "customerCode"];

/** (3) per sort and user kind on a new service instance, after the sync's import. */
async function keywordsAfterWrites(
  settings: Settings,
  env: (overrides: Record<string, string>) => Record<string, string>,
  users: Record<string, Record<string, string>>,
  label: string,
): Promise<ScenarioResult[]> {
  progress(`(3) keyword mix ${label}: starting the service`);
  const service = await startService(env);
  try {
    return await keywordMatrixScenarios(settings, service.url, users, `, ${label}`);
  } finally {
    await service.stop();
  }
}

/** (3) per sort and user kind, a third of the usual duration each. */
async function keywordMatrixScenarios(
  settings: Settings,
  serviceUrl: string,
  users: Record<string, Record<string, string>>,
  label = "",
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const short = { ...settings, durationMs: Math.max(3_000, settings.durationMs / 3) };
  for (const [user, headers] of Object.entries(users)) {
    for (const sort of KEYWORD_SORTS) {
      results.push(
        await measure(`(3) keyword, ${user}, sort=${sort}${label}`, short, {
          urls: KEYWORDS.map((word) =>
            `${serviceUrl}/customers?keyword=${encodeURIComponent(word)}&sort=${sort}&pageSize=20`
          ),
          headers,
        }, settings.listConnections),
      );
    }
  }
  return results;
}

async function startService(
  env: (overrides: Record<string, string>) => Record<string, string>,
): Promise<Server> {
  const port = freePort();
  return await startServer("service", `${ROOT}src/main.ts`, {
    env: env({ PORT: String(port) }),
    port,
    readyPath: "/readyz",
    denoFlags: await startTaskV8Flags(),
  });
}

/** The V8 flags of `deno task start`, so the service is measured as it is deployed. */
async function startTaskV8Flags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  return (config.tasks.start as string).match(/--v8-flags=\S+/g) ?? [];
}

if (import.meta.main) {
  Deno.addSignalListener("SIGINT", () => {
    console.error("\ninterrupted: stopping subprocesses");
    stopAll().finally(() => Deno.exit(130));
  });
  try {
    await main();
  } catch (error) {
    console.error(`bench failed: ${error instanceof Error ? error.message : error}`);
    Deno.exitCode = 1;
  } finally {
    await stopAll();
  }
}
