import assert from "node:assert/strict";
import { ADMIN_URL, createTestDatabase } from "../support/database.ts";
import { insertCustomer } from "../support/fixtures.ts";
import { startTcpProxy } from "../support/tcp_proxy.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

interface Answer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

async function statusOf(env: TestApp, path: string): Promise<Answer> {
  const response = await env.request("GET", path, { as: USERS.std });
  return { status: response.status, body: await response.json() };
}

Deno.test("Postgres down: 503 SERVICE_UNAVAILABLE, no restart needed", async (t) => {
  await t.step("a closed port answers 503 on data routes and /readyz", async () => {
    const env = await startTestApp("faults_pg_closed", {
      env: { DATABASE_URL: "postgres://postgres@127.0.0.1:1/none", READYZ_TIMEOUT_MS: "1000" },
    });
    try {
      const me = await env.request("GET", "/auth/me", { as: USERS.std });
      assert.equal(me.status, 503);
      assert.equal(me.headers.get("content-type"), "application/problem+json");
      assert.ok(me.headers.get("retry-after"));
      const problem = await me.json();
      assert.equal(problem.code, "SERVICE_UNAVAILABLE");
      assert.doesNotMatch(JSON.stringify(problem), /ECONNREFUSED|127\.0\.0\.1/);
      const list = await statusOf(env, "/customers");
      assert.equal(list.status, 503);
      assert.equal(list.body.code, "SERVICE_UNAVAILABLE");
      const ready = await statusOf(env, "/readyz");
      assert.equal(ready.status, 503);
      assert.equal(ready.body.checks.postgres.status, "down");
    } finally {
      await env.close();
    }
  });

  await t.step("an outage and its end are followed without a restart", async () => {
    const proxy = startTcpProxy({ hostname: "127.0.0.1", port: Number(new URL(ADMIN_URL).port) });
    const database = await createTestDatabase("faults_pg_proxy");
    const url = new URL(database.url);
    url.port = String(proxy.port);
    const proxied = await startTestApp("faults_pg_proxy_app", {
      env: { DATABASE_URL: url.toString(), READYZ_TIMEOUT_MS: "1000" },
    });
    try {
      assert.equal((await statusOf(proxied, "/auth/me")).status, 200);

      proxy.cut();
      const down = await statusOf(proxied, "/auth/me");
      assert.equal(down.status, 503);
      assert.equal(down.body.code, "SERVICE_UNAVAILABLE");
      assert.equal((await statusOf(proxied, "/readyz")).status, 503);

      proxy.restore();
      let back = 0;
      for (let attempt = 0; attempt < 5 && back !== 200; attempt++) {
        back = (await statusOf(proxied, "/auth/me")).status;
      }
      assert.equal(back, 200, "the pool reconnects once Postgres is back");
      assert.equal((await statusOf(proxied, "/readyz")).status, 200);
    } finally {
      proxy.close();
      await proxied.close();
      await database.drop();
    }
  });
});

Deno.test("Redis down: requests still succeed with the cache bypassed", async () => {
  const env = await startTestApp("faults_redis", { env: { REDIS_URL: "redis://127.0.0.1:1" } });
  try {
    const me = await statusOf(env, "/auth/me");
    assert.equal(me.status, 200);
    assert.equal(me.body.dingUserId, USERS.std.dingUserId);
    const customer = await insertCustomer(env.db.sql, { businessDomain: "GENERAL_WAREHOUSING" });
    for (let read = 0; read < 2; read++) {
      const detail = await statusOf(env, `/customers/${customer.id}`);
      assert.equal(detail.status, 200);
      assert.equal(detail.body.customerCode, customer.customerCode);
    }
    const list = await statusOf(env, "/customers");
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 1);
    const { cache } = env.deps;
    cache.putView("customer:1", { version: 1, businessDomain: "COLD_CHAIN" }, cache.mark());
    assert.equal(await cache.getView("customer:1"), undefined, "both tiers are bypassed");
    const metrics = await (await env.request("GET", "/metrics")).text();
    assert.match(metrics, /cache_requests_total\{family="customer",outcome="error"\} [1-9]/);
    assert.doesNotMatch(metrics, /cache_requests_total\{family="customer",outcome="hit"\}/);
  } finally {
    await env.close();
  }
});
