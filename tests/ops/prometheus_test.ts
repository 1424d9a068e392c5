import assert from "node:assert/strict";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MYSQL_URL, REDIS_URL } from "../support/test_app.ts";
import { signTestToken, TEST_SECRET, USERS } from "../support/tokens.ts";
import { freePort } from "../support/service_process.ts";

const ROOT = new URL("../../", import.meta.url);
const ALERTS = new URL("ops/prometheus/alerts.yml", ROOT);
const DASHBOARD = new URL("ops/grafana/customer-service.json", ROOT);
/** The whole scenario must end well inside a minute (CI runs it on every push). */
const BUDGET_MS = 50_000;
/** Metrics a fresh instance cannot show yet: no replica, no Postgres error, no import so far. */
const ABSENT_UNTIL_USED = new Set([
  "customer_service_db_replica_lag_seconds",
  "customer_service_db_errors_total",
  "external_sync_records_total",
]);

async function run(command: string, args: string[]) {
  const output = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  return { code: output.code, text };
}

/** Installs prometheus/promtool through the project's script when they are missing. */
async function ensurePrometheus(): Promise<void> {
  const result = await run("bash", ["scripts/ensure_prometheus.sh"]);
  assert.equal(result.code, 0, `scripts/ensure_prometheus.sh failed:\n${result.text}`);
}

/** Polls `probe` until it answers a value (not undefined) or the deadline passes. */
async function eventually<T>(
  what: string,
  deadline: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** Keeps what a child process prints, so a failure can show it; never blocks the child. */
function drain(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  return stream.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void into.push(chunk) }),
  ).catch(() => {});
}

/** The alert names of alerts.yml, read with a pattern (the repository has no YAML parser). */
async function alertNames(): Promise<string[]> {
  const text = await Deno.readTextFile(ALERTS);
  return [...text.matchAll(/^\s*- alert: (\S+)\s*$/gm)].map((match) => match[1]);
}

/** Every PromQL expression of the dashboard, with Grafana's variables filled in. */
async function dashboardExpressions(): Promise<{ title: string; expr: string }[]> {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD)) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      title: panel.title,
      expr: target.expr.replaceAll("$__rate_interval", "1m").replaceAll("$job", "customer-service"),
    }))
  );
}

Deno.test("promtool accepts the rules, their unit tests and the scrape configuration", async () => {
  await ensurePrometheus();
  const check = await run("promtool", ["check", "rules", "ops/prometheus/alerts.yml"]);
  assert.equal(check.code, 0, check.text);
  const names = await alertNames();
  assert.match(check.text, new RegExp(`SUCCESS: ${names.length} rules found`));
  const unit = await run("promtool", ["test", "rules", "ops/prometheus/alerts_test.yml"]);
  assert.equal(unit.code, 0, unit.text);
  assert.match(unit.text, /SUCCESS/);
  const config = await run("promtool", ["check", "config", "ops/prometheus/prometheus.yml"]);
  assert.equal(config.code, 0, config.text);

  // Every rule is unit-tested with at least one case in which it fires.
  const tests = await Deno.readTextFile(new URL("ops/prometheus/alerts_test.yml", ROOT));
  const firing = new Set(
    [...tests.matchAll(/alertname: (\S+)\n\s*exp_alerts:\n\s*- exp_labels:/g)].map((m) => m[1]),
  );
  assert.deepEqual(names.filter((name) => !firing.has(name)), [], "rules without a firing test");
});

Deno.test("the dashboard is importable: unique panel ids, a query in every panel", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD)) as {
    uid: string;
    panels: { id: number; type: string; title: string; targets?: { expr?: string }[] }[];
    templating: { list: { name: string }[] };
  };
  assert.equal(dashboard.uid, "customer-service");
  const ids = dashboard.panels.map((panel) => panel.id);
  assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
  for (const panel of dashboard.panels.filter((panel) => panel.type !== "row")) {
    assert.ok((panel.targets ?? []).length > 0, `${panel.title} has a query`);
    assert.ok(
      panel.targets!.every((target) => target.expr),
      `${panel.title}: every target has expr`,
    );
  }
  assert.deepEqual(dashboard.templating.list.map((variable) => variable.name), [
    "datasource",
    "job",
  ]);
  const titles = dashboard.panels.filter((panel) => panel.type === "row").map((row) => row.title);
  assert.deepEqual(titles, [
    "Requests",
    "Latency",
    "Errors",
    "Pools",
    "Cache",
    "External sync",
    "Rate limits",
  ]);
});

Deno.test(
  "a real Prometheus scrapes the service, evaluates every expression, and failing syncs alert",
  async () => {
    await ensurePrometheus();
    const deadline = Date.now() + BUDGET_MS;
    const work = await Deno.makeTempDir({ prefix: "cms-prometheus-" });
    const servicePort = freePort();
    const prometheusPort = freePort();
    const base = `http://127.0.0.1:${prometheusPort}`;
    const printed: string[] = [];
    let db: TestDatabase | undefined;
    let service: Deno.ChildProcess | undefined;
    let prometheus: Deno.ChildProcess | undefined;
    const api = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${base}${path}`);
      const body = await response.json();
      assert.equal(body.status, "success", `${path}: ${JSON.stringify(body)}`);
      return body.data as T;
    };
    try {
      db = await createTestDatabase("prometheus");
      // An old success (outside the window): the last-success gauge has a series, the ratio is 0.
      await db.sql`
        insert into external_system_sync (entity_type, entity_id, source, remote_id, sync_status,
          synced_at)
        values ('CUSTOMER', 1, 'RB', 'prometheus-test-old', 'SUCCESS', now() - interval '2 hours')`;
      service = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-sys", "src/main.ts"],
        cwd: ROOT,
        env: {
          APP_ENV: "test",
          HOST: "127.0.0.1",
          PORT: String(servicePort),
          LOG_LEVEL: "warn",
          DATABASE_URL: db.url,
          REDIS_URL,
          REDIS_KEY_PREFIX: `test:${db.name}:`,
          EXTERNAL_MYSQL_URL: MYSQL_URL,
          JWT_SECRET: TEST_SECRET,
          METRICS_TOKEN: "",
          // One scrape per second in this test: read the database figures as often.
          METRICS_CACHE_SECONDS: "1",
        },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      void drain(service.stdout, printed);
      void drain(service.stderr, printed);

      const config = {
        global: { scrape_interval: "1s", evaluation_interval: "1s", scrape_timeout: "1s" },
        rule_files: [ALERTS.pathname],
        scrape_configs: [{
          job_name: "customer-service",
          static_configs: [{ targets: [`127.0.0.1:${servicePort}`] }],
        }],
      };
      // YAML is a superset of JSON.
      await Deno.writeTextFile(`${work}/prometheus.yml`, JSON.stringify(config, null, 2));
      prometheus = new Deno.Command("prometheus", {
        args: [
          `--config.file=${work}/prometheus.yml`,
          `--storage.tsdb.path=${work}/data`,
          `--web.listen-address=127.0.0.1:${prometheusPort}`,
          "--log.level=warn",
        ],
        cwd: work,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      void drain(prometheus.stdout, printed);
      void drain(prometheus.stderr, printed);

      await eventually("the service to be ready", deadline, async () => {
        const response = await fetch(`http://127.0.0.1:${servicePort}/readyz`);
        await response.body?.cancel();
        return response.status === 200 ? true : undefined;
      });
      // Traffic, so that request and cache metrics have series.
      const token = await signTestToken(USERS.admin);
      const detail = await fetch(`http://127.0.0.1:${servicePort}/customers/424242`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await detail.body?.cancel();
      assert.equal(detail.status, 404);

      await eventually("Prometheus to be ready", deadline, async () => {
        const response = await fetch(`${base}/-/ready`);
        await response.body?.cancel();
        return response.ok ? true : undefined;
      });

      const target = await eventually("the target to be up", deadline, async () => {
        const data = await api<
          { activeTargets: { health: string; labels: Record<string, string> }[] }
        >(
          "/api/v1/targets",
        );
        return data.activeTargets.find((candidate) => candidate.health === "up");
      });
      assert.equal(target.labels.job, "customer-service");
      assert.equal(target.labels.instance, `127.0.0.1:${servicePort}`);

      // Every rule loaded and evaluated without error.
      const names = await alertNames();
      const rules = await eventually("every rule to be evaluated", deadline, async () => {
        const data = await api<
          {
            groups: {
              rules: { name: string; query: string; health: string; lastError?: string }[];
            }[];
          }
        >("/api/v1/rules?type=alert");
        const all = data.groups.flatMap((group) => group.rules);
        return all.length === names.length && all.every((rule) => rule.health !== "unknown")
          ? all
          : undefined;
      });
      assert.deepEqual(rules.map((rule) => rule.name).sort(), [...names].sort());
      for (const rule of rules) {
        assert.equal(rule.health, "ok", `${rule.name}: ${rule.lastError}`);
      }

      // Every dashboard and alert expression evaluates.
      const expressions = [
        ...await dashboardExpressions(),
        ...rules.map((rule) => ({ title: rule.name, expr: rule.query })),
      ];
      assert.ok(expressions.length > 30, `only ${expressions.length} expressions`);
      for (const { title, expr } of expressions) {
        const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = await response.json();
        assert.equal(body.status, "success", `${title}: ${expr}: ${JSON.stringify(body)}`);
      }

      // ...and names metrics the service exports (a typo would evaluate to nothing, silently).
      const referenced = new Set(
        expressions.flatMap(({ expr }) =>
          [...expr.matchAll(/\b((?:customer_service|http|cache|external_sync)_[a-z_]+)\b/g)]
            .map((match) => match[1])
        ),
      );
      const missing = await eventually(
        "every referenced metric to be scraped",
        deadline,
        async () => {
          const exported = new Set(await api<string[]>("/api/v1/label/__name__/values"));
          const absent = [...referenced].filter((name) =>
            !exported.has(name) && !ABSENT_UNTIL_USED.has(name)
          );
          return absent.length === 0 ? absent : undefined;
        },
      ).catch(async () => {
        const exported = new Set(await api<string[]>("/api/v1/label/__name__/values"));
        return [...referenced].filter((name) =>
          !exported.has(name) && !ABSENT_UNTIL_USED.has(name)
        );
      });
      assert.deepEqual(missing, []);

      // A provoked condition: failing sync rows (as a CLI run would write) make the alert pend.
      const syncAlert = async () =>
        (await api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          "/api/v1/alerts",
        )).alerts.find((alert) =>
          alert.labels.alertname === "CustomerServiceSyncFailureRatioHigh" &&
          alert.labels.source === "RB"
        );
      assert.equal(await syncAlert(), undefined, "no sync alert before any failure");
      await db.sql`
        insert into external_system_sync (entity_type, source, remote_id, sync_status, error_code)
        select 'CUSTOMER', 'RB', 'prometheus-test-' || n, 'FAILED', 'VALIDATION_FAILED'
        from generate_series(1, 10) as n`;
      const pending = await eventually("the sync alert to go pending", deadline, async () => {
        const alert = await syncAlert();
        return alert?.state === "pending" ? alert : undefined;
      });
      assert.equal(pending.labels.severity, "warning");
      const ratio = await api<{ result: { value: [number, string] }[] }>(
        `/api/v1/query?query=${
          encodeURIComponent('max(customer_service_sync_failure_ratio{source="RB"})')
        }`,
      );
      assert.equal(Number(ratio.result[0].value[1]), 1);
    } catch (error) {
      console.error(printed.join("").slice(-4000));
      throw error;
    } finally {
      for (const child of [prometheus, service]) {
        if (!child) continue;
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
        await child.status;
      }
      await db?.drop();
      await Deno.remove(work, { recursive: true });
    }
  },
);
