import assert from "node:assert/strict";
import { eventually } from "../support/eventually.ts";
import { Redis } from "ioredis";
import { type CustomerFixture, insertCompany, insertCustomer } from "../support/fixtures.ts";
import { REDIS_URL, startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";
const COLD = "COLD_CHAIN";

async function problemOf(response: Response, status: number, code: string) {
  assert.equal(response.status, status, `expected ${status} ${code}`);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const body = await response.json();
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  return body;
}

async function createGroup(
  env: TestApp,
  body: Record<string, unknown>,
  as: typeof USERS[keyof typeof USERS] = USERS.admin,
) {
  const response = await env.request("POST", "/customer-groups", { as, body });
  assert.equal(response.status, 201, await response.clone().text());
  return await response.json();
}

async function memberIds(env: TestApp, groupId: number): Promise<number[]> {
  const rows = await env.db.sql<{ customer_id: number }[]>`
    select customer_id from customer_group_member where group_id = ${groupId}
    order by customer_id`;
  return rows.map((row) => row.customer_id);
}

function put(env: TestApp, groupId: number, customerIds: unknown, headers = {}) {
  return env.request("PUT", `/customer-groups/${groupId}/members`, {
    as: USERS.std,
    body: { customerIds },
    headers,
  });
}

Deno.test("customer groups: create, list and detail", async (t) => {
  const env = await startTestApp("groups_crud");
  try {
    let vip: Record<string, unknown>;

    await t.step("create answers 201 with the group, Location and ETag", async () => {
      const response = await env.request("POST", "/customer-groups", {
        as: USERS.std,
        body: { groupName: "VIP", businessDomain: GW, description: "top customers" },
      });
      assert.equal(response.status, 201);
      vip = await response.json();
      assert.equal(typeof vip.id, "number");
      assert.equal(response.headers.get("location"), `/customer-groups/${vip.id}`);
      assert.equal(response.headers.get("etag"), '"1"');
      assert.deepEqual(
        { ...vip, createdAt: undefined, updatedAt: undefined },
        {
          id: vip.id,
          groupName: "VIP",
          businessDomain: GW,
          maxMember: 200,
          description: "top customers",
          memberCount: 0,
          operationUid: USERS.std.dingUserId,
          operationName: USERS.std.name,
          version: 1,
          createdAt: undefined,
          updatedAt: undefined,
        },
      );
      const [event] = await env.db.sql`
        select event_type, payload from domain_event
        where aggregate_type = 'CustomerGroup' and aggregate_id = ${vip.id as number}`;
      assert.equal(event.event_type, "CustomerGroupCreated");
    });

    await t.step("the same name in the same domain is 409 GROUP_DUPLICATED", async () => {
      const response = await env.request("POST", "/customer-groups", {
        as: USERS.admin,
        body: { groupName: "VIP", businessDomain: GW },
      });
      await problemOf(response, 409, "GROUP_DUPLICATED");
    });

    await t.step("the same name in another domain is allowed", async () => {
      const cold = await createGroup(env, { groupName: "VIP", businessDomain: COLD }, USERS.cold);
      assert.equal(cold.businessDomain, COLD);
    });

    await t.step("a domain the user lacks is 403 FORBIDDEN", async () => {
      const response = await env.request("POST", "/customer-groups", {
        as: USERS.std,
        body: { groupName: "Cold VIP", businessDomain: COLD },
      });
      await problemOf(response, 403, "FORBIDDEN");
      await problemOf(
        await env.request("POST", "/customer-groups", {
          as: USERS.nobody,
          body: { groupName: "X", businessDomain: GW },
        }),
        403,
        "FORBIDDEN",
      );
    });

    await t.step("bad bodies are 400 VALIDATION_FAILED naming each field", async () => {
      const response = await env.request("POST", "/customer-groups", {
        as: USERS.std,
        body: {
          groupName: "x".repeat(101),
          businessDomain: "MOON",
          maxMember: 10001,
          description: "d".repeat(501),
          version: 3,
        },
      });
      const problem = await problemOf(response, 400, "VALIDATION_FAILED");
      const paths = problem.errors.map((e: { path: string }) => e.path).sort();
      assert.deepEqual(paths, [
        "businessDomain",
        "description",
        "groupName",
        "maxMember",
        "version",
      ]);
      for (const maxMember of [0, 1.5, "5"]) {
        await problemOf(
          await env.request("POST", "/customer-groups", {
            as: USERS.std,
            body: { groupName: "M", businessDomain: GW, maxMember },
          }),
          400,
          "VALIDATION_FAILED",
        );
      }
      await problemOf(
        await env.request("POST", "/customer-groups", {
          as: USERS.std,
          body: { groupName: "   ", businessDomain: GW },
        }),
        400,
        "VALIDATION_FAILED",
      );
    });

    await t.step("list shows only the user's domains, with memberCount", async () => {
      await createGroup(env, { groupName: "Bronze", businessDomain: GW, maxMember: 10 });
      const customer = await insertCustomer(env.db.sql, { businessDomain: GW });
      assert.equal((await put(env, vip.id as number, [customer.id])).status, 200);

      const response = await env.request("GET", "/customer-groups", { as: USERS.std });
      assert.equal(response.status, 200);
      const page = await response.json();
      assert.equal(page.total, 2);
      assert.equal(page.page, 1);
      assert.equal(page.pageSize, 20);
      assert.deepEqual(page.items.map((g: { groupName: string }) => g.groupName), [
        "Bronze",
        "VIP",
      ]);
      assert.equal(page.items[1].memberCount, 1);

      const admin = await (await env.request("GET", "/customer-groups", { as: USERS.admin }))
        .json();
      assert.equal(admin.total, 3);
    });

    await t.step("list filters by businessDomain (403 if not held) and keyword", async () => {
      const cold = await (await env.request("GET", `/customer-groups?businessDomain=${COLD}`, {
        as: USERS.admin,
      })).json();
      assert.deepEqual(cold.items.map((g: { businessDomain: string }) => g.businessDomain), [COLD]);
      await problemOf(
        await env.request("GET", `/customer-groups?businessDomain=${COLD}`, { as: USERS.std }),
        403,
        "FORBIDDEN",
      );
      const found = await (await env.request("GET", "/customer-groups?keyword=ron", {
        as: USERS.std,
      })).json();
      assert.deepEqual(found.items.map((g: { groupName: string }) => g.groupName), ["Bronze"]);
      const none = await (await env.request("GET", "/customer-groups?keyword=%25", {
        as: USERS.std,
      })).json();
      assert.equal(none.total, 0, "a % in the keyword is literal");
    });

    await t.step("list sorts by the allow-list and pages", async () => {
      const byName = await (await env.request("GET", "/customer-groups?sort=groupName", {
        as: USERS.admin,
      })).json();
      assert.deepEqual(byName.items.map((g: { groupName: string }) => g.groupName), [
        "Bronze",
        "VIP",
        "VIP",
      ]);
      assert.ok(byName.items[1].id < byName.items[2].id, "ties broken by id");
      const second = await (await env.request("GET", "/customer-groups?pageSize=1&page=2", {
        as: USERS.std,
      })).json();
      assert.equal(second.items.length, 1);
      assert.equal(second.items[0].groupName, "VIP");
      assert.equal(second.total, 2);
      for (
        const query of [
          "sort=id",
          "page=0",
          "pageSize=101",
          "businessDomain=MOON",
          "unknown=1",
        ]
      ) {
        await problemOf(
          await env.request("GET", `/customer-groups?${query}`, { as: USERS.std }),
          400,
          "VALIDATION_FAILED",
        );
      }
    });

    await t.step("detail lists members with ETag; other domains get 404", async () => {
      const response = await env.request("GET", `/customer-groups/${vip.id}`, { as: USERS.std });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("etag"), '"2"');
      const detail = await response.json();
      assert.equal(detail.memberCount, 1);
      assert.deepEqual(Object.keys(detail.members[0]).sort(), [
        "customerCode",
        "customerId",
        "customerName",
        "status",
      ]);
      assert.match(detail.members[0].customerCode, /^MN-\d{8}$/);
      await problemOf(
        await env.request("GET", `/customer-groups/${vip.id}`, { as: USERS.cold }),
        404,
        "GROUP_NOT_FOUND",
      );
      await problemOf(
        await env.request("GET", "/customer-groups/999999", { as: USERS.std }),
        404,
        "GROUP_NOT_FOUND",
      );
      await problemOf(
        await env.request("GET", `/customer-groups/${vip.id}`, { as: USERS.nobody }),
        403,
        "FORBIDDEN",
      );
      await problemOf(
        await env.request("GET", "/customer-groups/abc", { as: USERS.std }),
        400,
        "VALIDATION_FAILED",
      );
    });

    await t.step("without a token the routes are 401", async () => {
      await problemOf(await env.request("GET", "/customer-groups"), 401, "UNAUTHENTICATED");
    });

    await t.step("the routes are in the OpenAPI document", async () => {
      const doc = await (await env.request("GET", "/openapi.json")).json();
      assert.ok(doc.paths["/customer-groups"].post);
      assert.ok(doc.paths["/customer-groups"].get);
      assert.ok(doc.paths["/customer-groups/{id}"].get);
      assert.ok(doc.paths["/customer-groups/{id}/members"].put);
    });
  } finally {
    await env.close();
  }
});

Deno.test("replacing group members enforces every rule", async (t) => {
  const env = await startTestApp("groups_members");
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  try {
    const company = await insertCompany(env.db.sql);
    const make = (options: Parameters<typeof insertCustomer>[1] = {}) =>
      insertCustomer(env.db.sql, { companyId: company.id, ...options });
    const group = await createGroup(env, { groupName: "Team", businessDomain: GW, maxMember: 3 });
    const foreignGroup = await createGroup(env, { groupName: "Cold", businessDomain: COLD });
    const [a, b, c, d]: CustomerFixture[] = [
      await make(),
      await make(),
      await make(),
      await make(),
    ];
    const terminated = await make({ status: "TERMINATED" });
    const cold1 = await make({ businessDomain: COLD });
    const cold2 = await make({ businessDomain: COLD });

    await t.step(
      "a valid replacement answers 200 with count, version, ETag and one event",
      async () => {
        const response = await put(env, group.id, [b.id, a.id]);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("etag"), '"2"');
        const body = await response.json();
        assert.equal(body.memberCount, 2);
        assert.equal(body.version, 2);
        assert.equal(body.id, group.id);
        assert.deepEqual(await memberIds(env, group.id), [a.id, b.id]);
      },
    );

    await t.step("a second replacement records added and removed ids", async () => {
      const response = await put(env, group.id, [b.id, c.id]);
      assert.equal(response.status, 200);
      assert.deepEqual(await memberIds(env, group.id), [b.id, c.id]);
      const events = await env.db.sql<{ payload: Record<string, number[]> }[]>`
        select payload from domain_event
        where event_type = 'CustomerGroupMembersReplaced' and aggregate_id = ${group.id}
        order by id`;
      assert.equal(events.length, 2);
      assert.deepEqual(events[1].payload.addedCustomerIds, [c.id]);
      assert.deepEqual(events[1].payload.removedCustomerIds, [a.id]);
    });

    await t.step("duplicate ids are 400 VALIDATION_FAILED at path customerIds", async () => {
      const problem = await problemOf(
        await put(env, group.id, [a.id, b.id, a.id]),
        400,
        "VALIDATION_FAILED",
      );
      assert.deepEqual(problem.errors.map((e: { path: string }) => e.path), ["customerIds"]);
      assert.deepEqual(problem.duplicateIds, [a.id]);
    });

    await t.step("malformed lists are 400 VALIDATION_FAILED", async () => {
      for (const ids of [["1"], [0], [1.5], "1", null]) {
        await problemOf(await put(env, group.id, ids), 400, "VALIDATION_FAILED");
      }
      const tooMany = Array.from({ length: 10001 }, (_, i) => i + 1);
      const problem = await problemOf(await put(env, group.id, tooMany), 400, "VALIDATION_FAILED");
      assert.equal(problem.errors[0].path, "customerIds");
    });

    await t.step("missing customers are 422 INVALID_MEMBER listing the ids", async () => {
      const problem = await problemOf(
        await put(env, group.id, [a.id, 987654, 987650]),
        422,
        "INVALID_MEMBER",
      );
      assert.deepEqual(problem.invalidIds, [987650, 987654]);
      assert.match(problem.detail, /987650, 987654/);
    });

    await t.step("customers of a domain the user cannot see are INVALID_MEMBER", async () => {
      const problem = await problemOf(
        await put(env, group.id, [a.id, cold1.id]),
        422,
        "INVALID_MEMBER",
      );
      assert.deepEqual(problem.invalidIds, [cold1.id]);
    });

    await t.step("visible customers of another domain are 422 DOMAIN_MISMATCH", async () => {
      const response = await env.request("PUT", `/customer-groups/${group.id}/members`, {
        as: USERS.admin,
        body: { customerIds: [cold2.id, a.id, cold1.id] },
      });
      const problem = await problemOf(response, 422, "DOMAIN_MISMATCH");
      assert.deepEqual(problem.mismatchedIds, [cold1.id, cold2.id]);
      assert.match(problem.detail, new RegExp(`${cold1.id}, ${cold2.id}`));
    });

    await t.step("TERMINATED customers are 422 INVALID_MEMBER listing the ids", async () => {
      const problem = await problemOf(
        await put(env, group.id, [terminated.id, a.id]),
        422,
        "INVALID_MEMBER",
      );
      assert.deepEqual(problem.invalidIds, [terminated.id]);
      assert.match(problem.detail, new RegExp(String(terminated.id)));
    });

    await t.step("more than maxMember ids is 422 GROUP_MEMBER_LIMIT_EXCEEDED", async () => {
      await problemOf(
        await put(env, group.id, [a.id, b.id, c.id, d.id]),
        422,
        "GROUP_MEMBER_LIMIT_EXCEEDED",
      );
    });

    await t.step("rejected replacements change nothing", async () => {
      assert.deepEqual(await memberIds(env, group.id), [b.id, c.id]);
      const [row] = await env.db.sql`select version from customer_group where id = ${group.id}`;
      assert.equal(row.version, 3);
    });

    await t.step("a foreign-domain or missing group is 404 GROUP_NOT_FOUND", async () => {
      await problemOf(await put(env, foreignGroup.id, []), 404, "GROUP_NOT_FOUND");
      await problemOf(await put(env, 999999, [a.id]), 404, "GROUP_NOT_FOUND");
      const nobody = await env.request("PUT", `/customer-groups/${group.id}/members`, {
        as: USERS.nobody,
        body: { customerIds: [] },
      });
      await problemOf(nobody, 403, "FORBIDDEN");
    });

    await t.step("a stale If-Match is 412 VERSION_CONFLICT; the current one passes", async () => {
      await problemOf(
        await put(env, group.id, [a.id], { "if-match": '"2"' }),
        412,
        "VERSION_CONFLICT",
      );
      const response = await put(env, group.id, [a.id, b.id, c.id], { "if-match": '"3"' });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("etag"), '"4"');
    });

    await t.step(
      "a replacement deletes the group key and the keys of changed customers",
      async () => {
        await redis.connect();
        const detail = await env.request("GET", `/customer-groups/${group.id}`, { as: USERS.std });
        assert.equal(detail.status, 200);
        const groupKey = `${env.redisPrefix}customer-group:${group.id}`;
        await eventually("the detail is cached", async () => await redis.exists(groupKey) === 1);
        for (const customer of [a, b, c, d]) {
          await redis.set(`${env.redisPrefix}customer:${customer.id}`, "{}", "EX", 300);
        }
        // Members a, b, c -> b, d: a and c removed, d added, b unchanged.
        assert.equal((await put(env, group.id, [b.id, d.id])).status, 200);
        assert.equal(await redis.exists(groupKey), 0);
        assert.equal(await redis.exists(`${env.redisPrefix}customer:${a.id}`), 0);
        assert.equal(await redis.exists(`${env.redisPrefix}customer:${c.id}`), 0);
        assert.equal(await redis.exists(`${env.redisPrefix}customer:${d.id}`), 0);
        assert.equal(await redis.exists(`${env.redisPrefix}customer:${b.id}`), 1, "b unchanged");
        const fresh = await (await env.request("GET", `/customer-groups/${group.id}`, {
          as: USERS.std,
        })).json();
        assert.deepEqual(fresh.members.map((m: { customerId: number }) => m.customerId), [
          b.id,
          d.id,
        ]);
      },
    );

    await t.step("a cached detail is still hidden from users of other domains", async () => {
      const response = await env.request("GET", `/customer-groups/${group.id}`, {
        as: USERS.cold,
      });
      await problemOf(response, 404, "GROUP_NOT_FOUND");
    });

    await t.step("an empty list empties the group", async () => {
      const response = await put(env, group.id, []);
      assert.equal(response.status, 200);
      assert.equal((await response.json()).memberCount, 0);
      assert.deepEqual(await memberIds(env, group.id), []);
    });
  } finally {
    redis.disconnect();
    await env.close();
  }
});

Deno.test(
  "moving a customer to another domain removes it from groups of the old domain",
  async () => {
    const env = await startTestApp("groups_domain_move");
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    redis.on("error", () => {});
    try {
      const mover = await insertCustomer(env.db.sql, { businessDomain: GW });
      const stayer = await insertCustomer(env.db.sql, { businessDomain: GW });
      const group = await createGroup(env, { groupName: "Movers", businessDomain: GW });
      const replaced = await put(env, group.id, [mover.id, stayer.id]);
      assert.equal(replaced.status, 200);
      const { version } = await replaced.json();
      assert.equal(
        (await env.request("GET", `/customer-groups/${group.id}`, { as: USERS.std }))
          .status,
        200,
      );
      const groupKey = `${env.redisPrefix}customer-group:${group.id}`;
      await eventually("the detail is cached", async () => await redis.exists(groupKey) === 1);

      const moved = await env.request("PATCH", `/customers/${mover.id}`, {
        as: USERS.admin,
        body: { businessDomain: COLD },
      });
      assert.equal(moved.status, 200, await moved.clone().text());
      await moved.body?.cancel();

      assert.deepEqual(await memberIds(env, group.id), [stayer.id]);
      assert.equal(await redis.exists(groupKey), 0, "the group's cached detail is dropped");
      const response = await env.request("GET", `/customer-groups/${group.id}`, { as: USERS.std });
      const detail = await response.json();
      assert.deepEqual(detail.members.map((m: { customerId: number }) => m.customerId), [
        stayer.id,
      ]);
      assert.equal(detail.memberCount, 1);
      assert.ok(detail.version > version, "the group's version grows");
    } finally {
      redis.disconnect();
      await env.close();
    }
  },
);
