import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { eventually } from "../support/eventually.ts";
import { insertCustomer } from "../support/fixtures.ts";
import { startPrivateRedis } from "../support/private_redis.ts";
import { REDIS_URL, startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

async function nameSeenBy(env: TestApp, id: number): Promise<{ status: number; name?: string }> {
  const response = await env.request("GET", `/customers/${id}`, { as: USERS.std });
  const body = await response.json();
  return { status: response.status, name: body.customerName };
}

async function rename(env: TestApp, id: number, customerName: string): Promise<void> {
  const response = await env.request("PATCH", `/customers/${id}`, {
    as: USERS.std,
    body: { customerName },
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
}

Deno.test("a write through one instance is seen by the next read through another", async () => {
  const a = await startTestApp("cache_invalidation");
  const b = await startTestApp("cache_invalidation", { instanceOf: a });
  try {
    const customer = await insertCustomer(a.db.sql, { businessDomain: "GENERAL_WAREHOUSING" });
    const windows: number[] = [];
    for (let round = 1; round <= 5; round++) {
      // B holds the detail in its L1 (twice: the second read is an L1 hit).
      await nameSeenBy(b, customer.id);
      assert.equal((await nameSeenBy(b, customer.id)).status, 200);
      const name = `Renamed through A ${round}`;
      await rename(a, customer.id, name);
      const started = performance.now();
      await eventually(
        "B sees the rename",
        async () => (await nameSeenBy(b, customer.id)).name === name,
        100,
      );
      windows.push(performance.now() - started);
    }
    console.log(`stale window on B after a write on A: max ${Math.max(...windows).toFixed(1)} ms`);
  } finally {
    await b.close();
    await a.close();
  }
});

Deno.test("Redis killed and restarted under reads: no failed request, no stale read", async () => {
  const redis = await startPrivateRedis();
  const env = { REDIS_URL: redis.url };
  const a = await startTestApp("cache_redis_restart", { env });
  const b = await startTestApp("cache_redis_restart", { env, instanceOf: a });
  const statuses = new Map<number, number>();
  let reading = true;
  try {
    const customer = await insertCustomer(a.db.sql, { businessDomain: "GENERAL_WAREHOUSING" });
    await nameSeenBy(b, customer.id);
    const reader = (async () => {
      // Bounded: stops when the test says so or after 20 s at the latest.
      const deadline = Date.now() + 20_000;
      while (reading && Date.now() < deadline) {
        const { status } = await nameSeenBy(b, customer.id);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();

    await redis.kill();
    // The invalidation message of this write is lost: B must not trust its L1 any more.
    await rename(a, customer.id, "Renamed while Redis was down");
    assert.equal((await nameSeenBy(b, customer.id)).name, "Renamed while Redis was down");
    await redis.start();
    await eventually("B subscribed again", () => isLive(b), 10_000);
    await rename(a, customer.id, "Renamed after the restart");
    await eventually(
      "B sees the rename after the restart",
      async () => (await nameSeenBy(b, customer.id)).name === "Renamed after the restart",
      100,
    );
    reading = false;
    await reader;
    assert.deepEqual([...statuses.keys()], [200], `statuses ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get(200) ?? 0) > 10, "the reader kept reading through the outage");
  } finally {
    reading = false;
    await b.close();
    await a.close();
    await redis.kill();
  }
});

function isLive(env: TestApp): boolean {
  return env.deps.cacheBus?.live === true;
}

Deno.test("with Redis, a repeated detail read is served by the in-process L1", async () => {
  const env = await startTestApp("cache_l1_hit");
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const customer = await insertCustomer(env.db.sql, { businessDomain: "GENERAL_WAREHOUSING" });
    const first = await nameSeenBy(env, customer.id);
    assert.equal(first.status, 200);
    // Behind the service's back: the row changes and the Redis copy goes. Only the L1 still
    // holds the name read first.
    await env.db
      .sql`update customer set customer_name = 'Changed in SQL' where id = ${customer.id}`;
    const key = `${env.redisPrefix}customer:${customer.id}`;
    await eventually("the fill reached Redis", async () => await redis.exists(key) === 1);
    await redis.del(key);
    assert.equal((await nameSeenBy(env, customer.id)).name, first.name);
    assert.equal(await redis.exists(key), 0, "the hit did not read Redis back into existence");
  } finally {
    redis.disconnect();
    await env.close();
  }
});
