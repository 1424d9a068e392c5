import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startPrivateRedis } from "../support/private_redis.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import type { TestUser } from "../support/tokens.ts";

const LIMIT = 100;
const LEASE = 5;

async function status(env: TestApp, user: TestUser): Promise<number> {
  const response = await env.request("GET", "/auth/me", { as: user });
  await response.body?.cancel();
  if (response.status === 429) assert.ok(Number(response.headers.get("retry-after")) >= 1);
  return response.status;
}

async function evalCalls(url: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const stats = await client.info("commandstats");
    return Number(stats.match(/cmdstat_eval:calls=(\d+)/)?.[1] ?? 0);
  } finally {
    client.disconnect();
  }
}

Deno.test("the rate limit is shared by two instances within one lease per instance", async (t) => {
  const redis = await startPrivateRedis();
  const env = {
    REDIS_URL: redis.url,
    RATE_LIMIT_PER_MINUTE: String(LIMIT),
    RATE_LIMIT_LEASE_SIZE: String(LEASE),
  };
  const a = await startTestApp("rate_limit_shared", { env });
  const b = await startTestApp("rate_limit_shared", { env, instanceOf: a });
  try {
    await t.step("alternating instances spend exactly the budget, leasing from Redis", async () => {
      const user = { dingUserId: "shared-1", roles: ["ROLE_STD_AGENT"] };
      const before = await evalCalls(redis.url);
      let allowed = 0;
      const refused = new Set<string>();
      for (let request = 0; request < LIMIT * 2 && refused.size < 2; request++) {
        const instance = request % 2 === 0 ? a : b;
        if ((await status(instance, user)) === 200) allowed++;
        else refused.add(instance === a ? "a" : "b");
      }
      assert.equal(allowed, LIMIT);
      const leases = (await evalCalls(redis.url)) - before;
      assert.ok(leases <= LIMIT / LEASE + 4, `${leases} Redis calls for ${LIMIT} requests`);
    });

    await t.step("points leased by the other instance are at most one lease", async () => {
      const user = { dingUserId: "shared-2", roles: ["ROLE_STD_AGENT"] };
      assert.equal(await status(b, user), 200);
      let allowed = 1;
      while ((await status(a, user)) === 200) allowed++;
      assert.ok(allowed <= LIMIT, `${allowed} allowed`);
      assert.ok(allowed >= LIMIT - (LEASE - 1), `${allowed} allowed, stranded at most a lease`);
    });
  } finally {
    await b.close();
    await a.close();
    await redis.kill();
  }
});
