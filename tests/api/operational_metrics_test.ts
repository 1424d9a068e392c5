import assert from "node:assert/strict";
import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../src/presentation/router.ts";
import { configureLogging } from "../../src/shared/logger.ts";
import { MYSQL_URL, startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

/** Every sample of `name` whose labels include `labels`, as [labels text, value]. */
function samples(text: string, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const found: [string, number][] = [];
  for (const line of text.split("\n")) {
    const bare = line.startsWith(`${name} `);
    if (!bare && !line.startsWith(`${name}{`)) continue;
    const labelText = bare ? "" : line.slice(name.length + 1, line.indexOf("}"));
    if (wanted.every((pair) => labelText.split(",").includes(pair))) {
      found.push([labelText, Number(line.split(" ").at(-1))]);
    }
  }
  return found;
}

function value(text: string, name: string, labels: Record<string, string> = {}) {
  const found = samples(text, name, labels);
  assert.equal(found.length, 1, `one sample of ${name} ${JSON.stringify(labels)}: ${found}`);
  return found[0][1];
}

async function scrape(env: TestApp): Promise<string> {
  const response = await env.request("GET", "/metrics");
  assert.equal(response.status, 200);
  return await response.text();
}

async function insertSyncRows(
  env: TestApp,
  rows: { source: string; status: "SUCCESS" | "FAILED"; count: number; ageSeconds?: number },
) {
  await env.db.sql`
    insert into external_system_sync (entity_type, entity_id, source, remote_id, sync_status,
      error_code, synced_at)
    select 'CUSTOMER', case when ${rows.status} = 'SUCCESS' then n end, ${rows.source},
      'metrics-' || ${rows.status} || '-' || ${rows.ageSeconds ?? 0} || '-' || n, ${rows.status},
      case when ${rows.status} = 'FAILED' then 'VALIDATION_FAILED' end,
      now() - make_interval(secs => ${rows.ageSeconds ?? 0})
    from generate_series(1, ${rows.count}) as n`;
}

const failingRoute = createRoute({
  method: "get",
  path: "/test/serialization-failure",
  responses: { 200: { description: "never" } },
});

Deno.test("/metrics shows pools, stores, sync health and readiness", async (t) => {
  const env = await startTestApp("operational_metrics", {
    env: { EXTERNAL_MYSQL_URL: MYSQL_URL, METRICS_CACHE_SECONDS: "0" },
  });
  env.app.route(
    "/",
    createRouter().openapi(failingRoute, () => {
      throw Object.assign(new Error("could not serialize access"), { code: "40001" });
    }),
  );
  try {
    await t.step("Postgres, Redis and MySQL pool figures", async () => {
      await env.request("GET", "/customers/1", { as: USERS.admin }).then((r) => r.body?.cancel());
      await env.deps.mysql!.query("select 1");
      const text = await scrape(env);
      assert.equal(value(text, "customer_service_db_pool_max_connections", { pool: "write" }), 5);
      const open = value(text, "customer_service_db_pool_open_connections", { pool: "write" });
      assert.ok(open >= 1 && open <= 5, `open write connections: ${open}`);
      assert.deepEqual(
        samples(text, "customer_service_db_pool_open_connections", { pool: "read" }),
        [],
      );
      assert.equal(value(text, "customer_service_redis_connected"), 1);
      assert.equal(value(text, "customer_service_mysql_pool_max_connections"), 5);
      assert.equal(value(text, "customer_service_mysql_pool_open_connections"), 1);
      assert.equal(value(text, "customer_service_mysql_pool_in_use_connections"), 0);
      assert.equal(value(text, "customer_service_mysql_pool_queued_requests"), 0);
      assert.ok(value(text, "customer_service_mysql_query_duration_seconds_count") >= 1);
      assert.equal(value(text, "customer_service_mysql_errors_total"), 0);
    });

    await t.step("Redis command durations and errors", async () => {
      const before = await scrape(env);
      const gets = (text: string) =>
        value(text, "customer_service_redis_command_duration_seconds_count", { command: "get" });
      await env.deps.cache.getView("customer:424242");
      await env.deps.cache.getView("customer:424243");
      const after = await scrape(env);
      assert.equal(gets(after) - gets(before), 2);
      assert.equal(value(after, "customer_service_redis_errors_total", { kind: "command" }), 0);
    });

    await t.step("Postgres errors reaching the error handler count by SQLSTATE class", async () => {
      // The 500's stack trace is expected here: keep it out of the test output.
      configureLogging({ sink: () => {} });
      const response = await env.request("GET", "/test/serialization-failure").finally(() =>
        configureLogging({ sink: (line) => console.log(line) })
      );
      await response.body?.cancel();
      assert.equal(response.status, 500);
      const text = await scrape(env);
      assert.equal(value(text, "customer_service_db_errors_total", { class: "40" }), 1);
    });

    await t.step("readiness per dependency", async () => {
      const text = await scrape(env);
      for (const dependency of ["postgres", "redis", "mysql"]) {
        assert.equal(value(text, "customer_service_dependency_up", { dependency }), 1);
      }
      assert.equal(value(text, "customer_service_ready"), 1);
    });

    await t.step("sync failure ratio of the window and last success per source", async () => {
      const empty = await scrape(env);
      assert.equal(value(empty, "customer_service_sync_failure_ratio", { source: "RB" }), 0);
      assert.deepEqual(samples(empty, "customer_service_sync_last_success_timestamp_seconds"), []);

      await insertSyncRows(env, { source: "RB", status: "SUCCESS", count: 2 });
      await insertSyncRows(env, { source: "RB", status: "FAILED", count: 3 });
      // Outside the 15-minute window: in neither count, though the success is the last one.
      await insertSyncRows(env, { source: "RB", status: "FAILED", count: 4, ageSeconds: 3600 });
      await insertSyncRows(env, { source: "ERP", status: "SUCCESS", count: 1, ageSeconds: 7200 });
      const text = await scrape(env);
      const rb = { source: "RB" };
      assert.equal(
        value(text, "customer_service_sync_window_records", { ...rb, status: "FAILED" }),
        3,
      );
      assert.equal(
        value(text, "customer_service_sync_window_records", { ...rb, status: "SUCCESS" }),
        2,
      );
      assert.equal(value(text, "customer_service_sync_failure_ratio", rb), 0.6);
      assert.equal(value(text, "customer_service_sync_failure_ratio", { source: "ERP" }), 0);
      assert.equal(value(text, "customer_service_sync_failure_ratio", { source: "MANUAL" }), 0);
      const [{ newest }] = await env.db.sql<{ newest: Date }[]>`
        select max(synced_at) as newest from external_system_sync
        where source = 'RB' and sync_status = 'SUCCESS'`;
      const lastRb = value(text, "customer_service_sync_last_success_timestamp_seconds", rb);
      assert.ok(Math.abs(lastRb - newest.getTime() / 1000) < 0.001, `${lastRb} vs ${newest}`);
      const lastErp = value(text, "customer_service_sync_last_success_timestamp_seconds", {
        source: "ERP",
      });
      assert.ok(Math.abs(Date.now() / 1000 - 7200 - lastErp) < 60);
      assert.equal(value(text, "customer_service_sync_window_seconds"), 900);
      assert.ok(
        value(text, "customer_service_db_query_duration_seconds_count", {
          pool: "write",
          statement: "sync_health",
        }) >= 2,
      );
    });
  } finally {
    await env.close();
  }
});

Deno.test(
  "the sync-health query runs at most once per METRICS_CACHE_SECONDS",
  async () => {
    const env = await startTestApp("operational_metrics_cache", {
      env: { METRICS_CACHE_SECONDS: "60" },
    });
    try {
      const first = await scrape(env);
      assert.equal(value(first, "customer_service_sync_failure_ratio", { source: "RB" }), 0);
      await insertSyncRows(env, { source: "RB", status: "FAILED", count: 2 });
      const second = await scrape(env);
      assert.equal(value(second, "customer_service_sync_failure_ratio", { source: "RB" }), 0);
      const statement = { pool: "write", statement: "sync_health" };
      assert.equal(value(second, "customer_service_db_query_duration_seconds_count", statement), 1);
    } finally {
      await env.close();
    }
  },
);

Deno.test(
  "the sync-health query probes its index instead of scanning the table",
  async () => {
    const env = await startTestApp("operational_metrics_plan", { redis: false });
    try {
      await insertSyncRows(env, {
        source: "RB",
        status: "SUCCESS",
        count: 20_000,
        ageSeconds: 7200,
      });
      await insertSyncRows(env, { source: "RB", status: "FAILED", count: 5_000, ageSeconds: 7200 });
      await insertSyncRows(env, { source: "RB", status: "FAILED", count: 10 });
      await env.db.sql`analyze external_system_sync`;
      const plan = (await env.db.sql.unsafe(
        `explain select count(*) from external_system_sync e
        where e.source = 'RB' and e.sync_status = 'FAILED'
          and e.synced_at > now() - make_interval(secs => 900)`,
      )).map((row) => String(row["QUERY PLAN"])).join("\n");
      assert.match(plan, /Index Only Scan using idx_external_sync_source_status_synced/);
      assert.doesNotMatch(plan, /Seq Scan/);
      const last = (await env.db.sql.unsafe(
        `explain select max(e.synced_at) from external_system_sync e
        where e.source = 'RB' and e.sync_status = 'SUCCESS'`,
      )).map((row) => String(row["QUERY PLAN"])).join("\n");
      assert.match(last, /Index Only Scan Backward using idx_external_sync_source_status_synced/);
    } finally {
      await env.close();
    }
  },
);
