import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { REDIS_URL, startTestApp } from "../support/test_app.ts";

const view = { version: 1, businessDomain: "COLD_CHAIN" };
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

Deno.test("a detail read before another instance's write never fills Redis after it", async () => {
  const a = await startTestApp("fill-race");
  const b = await startTestApp("fill-race", { instanceOf: a });
  const redis = new Redis(REDIS_URL, { keyPrefix: a.redisPrefix });
  try {
    // Without a write in between, the miss is filled.
    assert.equal(await a.deps.cache.getView("customer:1"), undefined);
    a.deps.cache.putView("customer:1", view, a.deps.cache.mark());
    await settle();
    assert.equal(await redis.exists("customer:1"), 1);

    // A's database read began before B's write committed and invalidated the key; A's fill
    // arrives later (before B's message reaches A): Redis must not keep the old detail.
    assert.equal(await a.deps.cache.getView("customer:2"), undefined);
    const mark = a.deps.cache.mark();
    await b.deps.store.del("customer:2");
    a.deps.cache.putView("customer:2", view, mark);
    await settle();
    assert.equal(await redis.exists("customer:2"), 0);

    // A fill whose generation read ended after its database read began is not trusted either.
    const early = a.deps.cache.mark();
    assert.equal(await a.deps.cache.getView("customer:3"), undefined);
    a.deps.cache.putView("customer:3", view, early);
    await settle();
    assert.equal(await redis.exists("customer:3"), 0);
  } finally {
    redis.disconnect();
    await b.close();
    await a.close();
  }
});
