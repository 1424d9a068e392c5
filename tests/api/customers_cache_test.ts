import assert from "node:assert/strict";
import { eventually } from "../support/eventually.ts";
import { Redis } from "ioredis";
import { REDIS_URL, startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";

async function create(env: TestApp, name: string, company: Record<string, unknown>) {
  const response = await env.request("POST", "/customers", {
    as: USERS.std,
    body: { customer: { customerName: name, businessDomain: GW }, company },
  });
  assert.equal(response.status, 201, await response.clone().text());
  return await response.json();
}

async function read(env: TestApp, id: number, as = USERS.std) {
  const response = await env.request("GET", `/customers/${id}`, { as });
  return {
    status: response.status,
    etag: response.headers.get("etag"),
    body: await response.json(),
  };
}

Deno.test(
  "customer details are cached in Redis and invalidated by writes",
  async (t) => {
    const env = await startTestApp("customers_cache");
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const key = (id: number) => `${env.redisPrefix}customer:${id}`;
    try {
      const customer = await create(env, "Cached One", {
        companyCode: "CACHE-CO",
        companyName: "Cache Co",
      });
      const sibling = await create(env, "Cached Sibling", { companyCode: "CACHE-CO" });

      await t.step(
        "the first read stores the detail under customer:{id} with the TTL",
        async () => {
          assert.equal(await redis.exists(key(customer.id)), 0);
          const first = await read(env, customer.id);
          assert.equal(first.status, 200);
          // The fill does not hold the response back: the key appears right after it.
          await eventually(
            "the detail in Redis",
            async () => await redis.exists(key(customer.id)) === 1,
          );
          const cached = JSON.parse((await redis.get(key(customer.id)))!);
          assert.deepEqual(cached, first.body);
          const ttl = await redis.ttl(key(customer.id));
          assert.ok(ttl > 0 && ttl <= env.deps.config.CACHE_TTL_SECONDS, `ttl ${ttl}`);
        },
      );

      await t.step("the next read is served from the cache", async () => {
        // Changed behind the service's back: only a cache hit still shows the old name.
        await env.db
          .sql`update customer set customer_name = 'Changed in SQL' where id = ${customer.id}`;
        const second = await read(env, customer.id);
        assert.equal(second.body.customerName, "Cached One");
        assert.equal(second.etag, '"1"');
        await env.db
          .sql`update customer set customer_name = 'Cached One' where id = ${customer.id}`;
      });

      await t.step("authorisation is checked after a cache hit", async () => {
        const foreign = await read(env, customer.id, USERS.cold);
        assert.equal(foreign.status, 404);
        assert.equal(foreign.body.code, "CUSTOMER_NOT_FOUND");
      });

      await t.step("PATCH deletes the customer's key and the keys of its groups", async () => {
        const group = await (await env.request("POST", "/customer-groups", {
          as: USERS.std,
          body: { groupName: "Cache group", businessDomain: GW },
        })).json();
        const put = await env.request("PUT", `/customer-groups/${group.id}/members`, {
          as: USERS.std,
          body: { customerIds: [customer.id] },
        });
        assert.equal(put.status, 200);
        await put.body?.cancel();
        await read(env, customer.id);
        await redis.set(`${env.redisPrefix}customer-group:${group.id}`, "{}");
        await eventually(
          "the detail in Redis",
          async () => await redis.exists(key(customer.id)) === 1,
        );
        const response = await env.request("PATCH", `/customers/${customer.id}`, {
          as: USERS.std,
          body: { remark: "after cache" },
        });
        assert.equal(response.status, 200);
        await response.body?.cancel();
        assert.equal(await redis.exists(key(customer.id)), 0);
        assert.equal(await redis.exists(`${env.redisPrefix}customer-group:${group.id}`), 0);
        assert.equal((await read(env, customer.id)).body.remark, "after cache");
      });

      await t.step("a status change deletes the key", async () => {
        await eventually(
          "the detail in Redis",
          async () => await redis.exists(key(customer.id)) === 1,
        );
        const response = await env.request("PATCH", `/customers/${customer.id}/status`, {
          as: USERS.std,
          body: { status: "ACTIVE" },
        });
        assert.equal(response.status, 200);
        await response.body?.cancel();
        assert.equal(await redis.exists(key(customer.id)), 0);
        const fresh = await read(env, customer.id);
        assert.equal(fresh.body.status, "ACTIVE");
        assert.equal(fresh.etag, `"${fresh.body.version}"`);
      });

      await t.step(
        "a company upsert deletes the keys of the company's other customers",
        async () => {
          await read(env, sibling.id);
          await eventually(
            "the detail in Redis",
            async () => await redis.exists(key(sibling.id)) === 1,
          );
          await create(env, "Third of Co", {
            companyCode: "CACHE-CO",
            companyName: "Cache Co Renamed",
          });
          assert.equal(await redis.exists(key(sibling.id)), 0);
          assert.equal((await read(env, sibling.id)).body.company.companyName, "Cache Co Renamed");
        },
      );
    } finally {
      redis.disconnect();
      await env.close();
    }
  },
);

Deno.test("customers are served from Postgres when Redis is down", async (t) => {
  const env = await startTestApp("customers_no_redis", {
    env: { REDIS_URL: "redis://127.0.0.1:1" },
  });
  try {
    await t.step("create, read twice, update and list all succeed", async () => {
      const customer = await create(env, "No Cache", { companyName: "No Cache Co" });
      for (let i = 0; i < 2; i++) {
        const detail = await read(env, customer.id);
        assert.equal(detail.status, 200);
        assert.equal(detail.body.customerName, "No Cache");
      }
      const patched = await env.request("PATCH", `/customers/${customer.id}`, {
        as: USERS.std,
        headers: { "if-match": '"1"' },
        body: { customerName: "No Cache Renamed" },
      });
      assert.equal(patched.status, 200);
      assert.equal((await patched.json()).customerName, "No Cache Renamed");
      assert.equal((await read(env, customer.id)).body.customerName, "No Cache Renamed");
      const list = await env.request("GET", "/customers", { as: USERS.std });
      assert.equal((await list.json()).total, 1);
    });
  } finally {
    await env.close();
  }
});
