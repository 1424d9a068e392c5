import assert from "node:assert/strict";
import { insertCustomers } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";

async function createGroup(env: TestApp, groupName: string, maxMember: number): Promise<number> {
  const response = await env.request("POST", "/customer-groups", {
    as: USERS.std,
    body: { groupName, businessDomain: GW, maxMember },
  });
  assert.equal(response.status, 201);
  return (await response.json()).id;
}

async function memberIds(env: TestApp, groupId: number): Promise<number[]> {
  const rows = await env.db.sql<{ customer_id: number }[]>`
    select customer_id from customer_group_member where group_id = ${groupId}
    order by customer_id`;
  return rows.map((row) => row.customer_id);
}

function replace(env: TestApp, groupId: number, customerIds: number[], ifMatch?: string) {
  return env.request("PUT", `/customer-groups/${groupId}/members`, {
    as: USERS.std,
    body: { customerIds },
    headers: ifMatch ? { "if-match": ifMatch } : {},
  });
}

/** 20 overlapping sets of 10 ids each over 60 customers, so a mixture would be visible. */
function candidateSets(ids: number[]): number[][] {
  return Array.from(
    { length: 20 },
    (_, i) => ids.slice(i * 2, i * 2 + 10 + (i % 3)).sort((a, b) => a - b),
  );
}

Deno.test("concurrent member replacements never mix", async (t) => {
  const env = await startTestApp("groups_concurrency");
  try {
    const customers = await insertCustomers(env.db.sql, 60, { businessDomain: GW });
    const sets = candidateSets(customers.map((customer) => customer.id));

    await t.step("20 concurrent replacements end with exactly one of the sets", async () => {
      const groupId = await createGroup(env, "Race", 100);
      const responses = await Promise.all(sets.map((set) => replace(env, groupId, set)));
      for (const response of responses) {
        assert.equal(response.status, 200);
        await response.body?.cancel();
      }
      const final = await memberIds(env, groupId);
      assert.ok(
        sets.some((set) => JSON.stringify(set) === JSON.stringify(final)),
        `final members ${final} are not one of the requested sets`,
      );
      const [group] = await env.db.sql`select version from customer_group where id = ${groupId}`;
      assert.equal(group.version, 21, "every replacement bumped the version once");
      const [events] = await env.db.sql`
        select count(*)::int as n from domain_event
        where event_type = 'CustomerGroupMembersReplaced' and aggregate_id = ${groupId}`;
      assert.equal(events.n, 20);
    });

    await t.step("with If-Match one replacement wins and the others get only 412", async () => {
      const groupId = await createGroup(env, "Race If-Match", 100);
      const responses = await Promise.all(sets.map((set) => replace(env, groupId, set, '"1"')));
      const statuses = responses.map((response) => response.status);
      assert.deepEqual([...new Set(statuses)].sort(), [200, 412], `statuses: ${statuses}`);
      assert.equal(statuses.filter((status) => status === 200).length, 1);
      for (const response of responses) {
        if (response.status === 412) {
          assert.equal((await response.json()).code, "VERSION_CONFLICT");
        } else await response.body?.cancel();
      }
      const winner = sets[statuses.indexOf(200)];
      assert.deepEqual(await memberIds(env, groupId), winner);
    });
  } finally {
    await env.close();
  }
});

Deno.test("a 10 000-member replacement works", async () => {
  const env = await startTestApp("groups_large");
  try {
    const customers = await insertCustomers(env.db.sql, 10_000, { businessDomain: GW });
    const ids = customers.map((customer) => customer.id);
    const groupId = await createGroup(env, "Everyone", 10_000);

    const response = await replace(env, groupId, ids);
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.memberCount, 10_000);
    assert.equal((await memberIds(env, groupId)).length, 10_000);

    // Replace half of them: 5 000 removed, 5 000 kept, then the detail lists all members.
    const half = ids.slice(5_000);
    const second = await replace(env, groupId, half, `"${body.version}"`);
    assert.equal(second.status, 200);
    assert.equal((await second.json()).memberCount, 5_000);
    const [event] = await env.db.sql<{ payload: Record<string, number[]> }[]>`
      select payload from domain_event
      where event_type = 'CustomerGroupMembersReplaced' and aggregate_id = ${groupId}
      order by id desc limit 1`;
    assert.equal(event.payload.removedCustomerIds.length, 5_000);
    assert.equal(event.payload.addedCustomerIds.length, 0);
    const detail = await (await env.request("GET", `/customer-groups/${groupId}`, {
      as: USERS.std,
    })).json();
    assert.equal(detail.members.length, 5_000);
    assert.deepEqual(detail.members.map((m: { customerId: number }) => m.customerId), half);
  } finally {
    await env.close();
  }
});
