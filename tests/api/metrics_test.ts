import assert from "node:assert/strict";
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../src/presentation/router.ts";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const itemRoute = createRoute({
  method: "get",
  path: "/test/items/{id}",
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: { description: "item" } },
});

/** The value of one sample line, e.g. `http_requests_total{method="GET",...}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf("}"));
    const present = labelText.split(",");
    if (wanted.every((pair) => present.includes(pair))) return Number(line.split(" ").at(-1));
  }
  return undefined;
}

Deno.test("GET /metrics exposes request, cache and sync metrics", async (t) => {
  const env = await startTestApp("metrics");
  env.app.route("/", createRouter().openapi(itemRoute, (c) => c.json({ id: c.req.param("id") })));
  try {
    await t.step("requests are counted by route template, not raw path", async () => {
      for (const id of ["1", "2", "3"]) {
        const response = await env.request("GET", `/test/items/${id}`);
        await response.body?.cancel();
        assert.equal(response.status, 200);
      }
      const me = await env.request("GET", "/auth/me", { as: USERS.std });
      await me.body?.cancel();
      const anonymous = await env.request("GET", "/auth/me");
      await anonymous.body?.cancel();

      const response = await env.request("GET", "/metrics");
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      const item = { method: "GET", route: "/test/items/:id", status: "200" };
      assert.equal(sample(text, "http_requests_total", item), 3);
      assert.equal(sample(text, "http_request_duration_seconds_count", item), 3);
      assert.equal(
        sample(text, "http_request_duration_seconds_bucket", { ...item, le: "+Inf" }),
        3,
      );
      assert.equal(
        sample(text, "http_requests_total", { route: "/auth/me", status: "200" }),
        1,
      );
      assert.equal(
        sample(text, "http_requests_total", { route: "/auth/me", status: "401" }),
        1,
      );
      assert.ok(!text.includes('route="/test/items/1"'), "raw paths never become labels");
    });

    await t.step("cache hits and misses are counted by key family", async () => {
      const { cache } = env.deps;
      const view = { id: 999001, version: 1, businessDomain: "COLD_CHAIN" };
      await cache.getView("customer:999001");
      cache.putView("customer:999001", view, cache.mark());
      await cache.getView("customer:999001");
      await cache.getView("customer:999001");
      await cache.getView("customer-group:999001");
      const text = await (await env.request("GET", "/metrics")).text();
      assert.equal(sample(text, "cache_requests_total", { family: "customer", outcome: "hit" }), 2);
      assert.equal(
        sample(text, "cache_requests_total", { family: "customer", outcome: "miss" }),
        1,
      );
      assert.equal(
        sample(text, "cache_requests_total", { family: "customer-group", outcome: "miss" }),
        1,
      );
    });

    await t.step("sync outcomes, pool size and process metrics are exposed", async () => {
      env.deps.metrics.recordSyncOutcome("RB", "SUCCESS", 2);
      env.deps.metrics.recordSyncOutcome("RB", "FAILED");
      const text = await (await env.request("GET", "/metrics")).text();
      assert.equal(
        sample(text, "external_sync_records_total", { source: "RB", status: "SUCCESS" }),
        2,
      );
      assert.equal(
        sample(text, "external_sync_records_total", { source: "RB", status: "FAILED" }),
        1,
      );
      assert.equal(sample(text, "db_pool_max_connections", { pool: "write" }), 5);
      assert.match(text, /^process_cpu_user_seconds_total \d/m);
    });
  } finally {
    await env.close();
  }
});

Deno.test("METRICS_TOKEN restricts /metrics to its bearer", async () => {
  const token = "metrics-token-for-tests";
  const env = await startTestApp("metrics_token", { env: { METRICS_TOKEN: token } });
  try {
    const missing = await env.request("GET", "/metrics");
    assert.equal(missing.status, 401);
    assert.equal((await missing.json()).code, "UNAUTHENTICATED");
    const wrong = await env.request("GET", "/metrics", {
      headers: { authorization: "Bearer not-the-token" },
    });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    // A user's JWT is not the metrics token either.
    const user = await env.request("GET", "/metrics", { as: USERS.admin });
    assert.equal(user.status, 401);
    await user.body?.cancel();
    const right = await env.request("GET", "/metrics", {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(right.status, 200);
    assert.match(await right.text(), /# TYPE http_requests_total counter/);
  } finally {
    await env.close();
  }
});
