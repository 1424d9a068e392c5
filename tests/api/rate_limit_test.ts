import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { type TestUser, USERS } from "../support/tokens.ts";

async function call(env: TestApp, as?: TestUser, headers: Record<string, string> = {}) {
  const response = await env.request("GET", "/auth/me", { as, headers });
  await response.body?.cancel();
  return response;
}

function assertBudgetHeaders(response: Response, limit: number, remaining: number) {
  assert.equal(response.headers.get("ratelimit-limit"), String(limit));
  assert.equal(response.headers.get("ratelimit-remaining"), String(remaining));
  const reset = Number(response.headers.get("ratelimit-reset"));
  assert.ok(reset >= 1 && reset <= 60, `RateLimit-Reset ${reset} is within the minute`);
}

async function assertRateLimited(response: Response, limit: number) {
  assert.equal(response.status, 429);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const retryAfter = Number(response.headers.get("retry-after"));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter} is within the minute`);
  assertBudgetHeaders(response, limit, 0);
  const body = await response.json();
  assert.equal(body.code, "RATE_LIMITED");
  assert.equal(body.status, 429);
  assert.equal(body.traceId, response.headers.get("x-trace-id"));
}

Deno.test("rate limit per user and per client IP", async (t) => {
  const env = await startTestApp("rate_limit", { env: { RATE_LIMIT_PER_MINUTE: "3" } });
  try {
    await t.step("responses under the budget carry RateLimit-* headers", async () => {
      for (const remaining of [2, 1, 0]) {
        const response = await call(env, USERS.std);
        assert.equal(response.status, 200);
        assertBudgetHeaders(response, 3, remaining);
      }
    });

    await t.step("the request over the budget is 429 RATE_LIMITED with Retry-After", async () => {
      const response = await env.request("GET", "/auth/me", { as: USERS.std });
      await assertRateLimited(response, 3);
    });

    await t.step("another user keeps their own budget", async () => {
      const response = await call(env, USERS.cold);
      assert.equal(response.status, 200);
      assertBudgetHeaders(response, 3, 2);
    });

    await t.step("anonymous requests count against the client IP, not a user", async () => {
      const first = await call(env);
      assert.equal(first.status, 401);
      assertBudgetHeaders(first, 3, 2);
      // An invalid token is anonymous too: same IP budget.
      const invalid = await call(env, undefined, { authorization: "Bearer a.b.c" });
      assert.equal(invalid.status, 401);
      assertBudgetHeaders(invalid, 3, 1);
      const docs = await env.request("GET", "/openapi.json");
      await docs.body?.cancel();
      assert.equal(docs.status, 200);
      assertBudgetHeaders(docs, 3, 0);
      await assertRateLimited(await env.request("GET", "/auth/me"), 3);
    });

    await t.step("a valid token is not charged to the exhausted IP budget", async () => {
      const response = await call(env, USERS.bonded);
      assert.equal(response.status, 200);
      assertBudgetHeaders(response, 3, 2);
    });

    await t.step("probes and metrics are never limited", async () => {
      for (const path of ["/healthz", "/readyz", "/metrics"]) {
        const response = await env.request("GET", path);
        await response.body?.cancel();
        assert.equal(response.status, 200, path);
        assert.equal(response.headers.get("ratelimit-limit"), null, path);
      }
    });
  } finally {
    await env.close();
  }
});

Deno.test("two instances on one Redis share a user's budget", async () => {
  const prefix = `test:rate_limit_shared:${crypto.randomUUID()}:`;
  const settings = { RATE_LIMIT_PER_MINUTE: "4", REDIS_KEY_PREFIX: prefix };
  const first = await startTestApp("rate_limit_a", { env: settings });
  const second = await startTestApp("rate_limit_b", { env: settings });
  try {
    assert.equal((await call(first, USERS.std)).status, 200);
    assert.equal((await call(second, USERS.std)).status, 200);
    assert.equal((await call(first, USERS.std)).status, 200);
    const last = await call(second, USERS.std);
    assert.equal(last.status, 200);
    assertBudgetHeaders(last, 4, 0);
    await assertRateLimited(await first.request("GET", "/auth/me", { as: USERS.std }), 4);
    await assertRateLimited(await second.request("GET", "/auth/me", { as: USERS.std }), 4);
    // ioredis prefixes the key with REDIS_KEY_PREFIX, as it did for the limiter's own commands.
    assert.equal(await first.deps.redis!.exists("rate-limit:user:U-STD"), 1);
  } finally {
    await first.deps.redis?.del("rate-limit:user:U-STD").catch(() => 0);
    await first.close();
    await second.close();
  }
});

Deno.test("with Redis unreachable the limiter counts in process", async () => {
  const env = await startTestApp("rate_limit_no_redis", {
    env: { RATE_LIMIT_PER_MINUTE: "2", REDIS_URL: "redis://127.0.0.1:1" },
  });
  try {
    const first = await call(env, USERS.std);
    assert.equal(first.status, 200, "a dead Redis does not fail the request");
    assertBudgetHeaders(first, 2, 1);
    assert.equal((await call(env, USERS.std)).status, 200);
    await assertRateLimited(await env.request("GET", "/auth/me", { as: USERS.std }), 2);
  } finally {
    await env.close();
  }
});
