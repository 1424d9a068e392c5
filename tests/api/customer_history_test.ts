import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";

async function createCustomer(env: TestApp, name: string) {
  const response = await env.request("POST", "/customers", {
    as: USERS.std,
    body: {
      customer: { customerName: name, businessDomain: GW },
      company: { companyCode: "HIST-CO", companyName: "History Company" },
    },
  });
  assert.equal(response.status, 201, await response.clone().text());
  return await response.json();
}

async function history(env: TestApp, id: number, query = "", as: typeof USERS.std = USERS.std) {
  const response = await env.request("GET", `/customers/${id}/history${query}`, { as });
  return { status: response.status, body: await response.json() };
}

Deno.test("GET /customers/{id}/history", async (t) => {
  const env = await startTestApp("customer_history");
  try {
    const customer = await createCustomer(env, "History One");
    const other = await createCustomer(env, "History Two");

    await t.step("shows old and new values of a PATCH and the operator, newest first", async () => {
      const patched = await env.request("PATCH", `/customers/${customer.id}`, {
        as: USERS.admin,
        headers: { "x-trace-id": "trace-history-patch" },
        body: { customerName: "History One Renamed", contactPhone: "13800000000" },
      });
      assert.equal(patched.status, 200);
      const { status, body } = await history(env, customer.id);
      assert.equal(status, 200);
      assert.deepEqual(body.items.map((item: { eventType: string }) => item.eventType), [
        "CustomerUpdated",
        "CustomerCreated",
      ]);
      const [update, create] = body.items;
      assert.deepEqual(update.changes, {
        customerName: { old: "History One", new: "History One Renamed" },
        contactPhone: { old: null, new: "13800000000" },
      });
      assert.equal(update.operationUid, USERS.admin.dingUserId);
      assert.equal(update.operationName, USERS.admin.name);
      assert.equal(update.traceId, "trace-history-patch");
      assert.ok(!Number.isNaN(Date.parse(update.occurredAt)));
      assert.equal(create.operationUid, USERS.std.dingUserId);
      assert.equal(create.changes, undefined);
      assert.equal(body.nextCursor, null);
    });

    await t.step("another domain's user gets 404 CUSTOMER_NOT_FOUND", async () => {
      const { status, body } = await history(env, customer.id, "", USERS.cold);
      assert.equal(status, 404);
      assert.equal(body.code, "CUSTOMER_NOT_FOUND");
      const missing = await history(env, 999_999);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, "CUSTOMER_NOT_FOUND");
    });

    await t.step("includes status changes and group memberships that concern it", async () => {
      const status = await env.request("PATCH", `/customers/${customer.id}/status`, {
        as: USERS.std,
        body: { status: "ACTIVE" },
      });
      assert.equal(status.status, 200);
      const group = await (await env.request("POST", "/customer-groups", {
        as: USERS.std,
        body: { groupName: "History group", businessDomain: GW },
      })).json();
      const put = (customerIds: number[]) =>
        env.request("PUT", `/customer-groups/${group.id}/members`, {
          as: USERS.std,
          body: { customerIds },
        });
      assert.equal((await put([customer.id, other.id])).status, 200);
      assert.equal((await put([other.id])).status, 200);
      const { body } = await history(env, customer.id);
      const [removed, added, statusChange] = body.items;
      assert.equal(removed.eventType, "CustomerGroupMembersReplaced");
      assert.equal(removed.membership, "REMOVED");
      assert.equal(removed.groupId, group.id);
      assert.equal(added.membership, "ADDED");
      assert.deepEqual(statusChange.changes, { status: { old: "PENDING", new: "ACTIVE" } });
      // The other customer's history shows only the replacement that added it.
      const otherHistory = await history(env, other.id);
      assert.deepEqual(
        otherHistory.body.items.map((item: { membership?: string }) => item.membership),
        ["ADDED", undefined],
      );
    });

    await t.step("includes a merge for its source and its target", async () => {
      // Written as the merge feature writes it: on the target, naming the source in the payload.
      await env.db.sql`
        insert into domain_event (aggregate_type, aggregate_id, event_type, payload)
        values ('Customer', ${other.id}, 'CustomerMerged',
          ${env.db.sql.json({ sourceCustomerId: customer.id, targetCustomerId: other.id })})`;
      const source = await history(env, customer.id);
      assert.equal(source.body.items[0].eventType, "CustomerMerged");
      assert.deepEqual(source.body.items[0].changes, {
        mergedIntoId: { old: null, new: other.id },
      });
      assert.equal(source.body.items[0].operationUid, null);
      const target = await history(env, other.id);
      assert.equal(target.body.items[0].eventType, "CustomerMerged");
      assert.equal(target.body.items[0].sourceCustomerId, customer.id);
    });

    await t.step("walks pages with nextCursor without repeating or skipping", async () => {
      for (let n = 0; n < 4; n++) {
        const response = await env.request("PATCH", `/customers/${customer.id}`, {
          as: USERS.std,
          body: { remark: `remark ${n}` },
        });
        assert.equal(response.status, 200);
      }
      const all = (await history(env, customer.id, "?pageSize=100")).body.items;
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `?pageSize=3${cursor ? `&cursor=${cursor}` : ""}`;
        const { status, body } = await history(env, customer.id, query);
        assert.equal(status, 200);
        assert.ok(body.items.length <= 3);
        seen.push(...body.items.map((item: { id: number }) => item.id));
        cursor = body.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, all.map((item: { id: number }) => item.id));
      assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
      assert.equal(seen.length, 10);
    });

    await t.step("a bad cursor, another customer's cursor or a bad pageSize is 400", async () => {
      const first = await history(env, customer.id, "?pageSize=1");
      for (
        const query of [
          "?cursor=not-a-cursor",
          `?cursor=${first.body.nextCursor}x`,
          "?pageSize=0",
          "?pageSize=101",
          "?page=2",
        ]
      ) {
        const { status, body } = await history(env, customer.id, query);
        assert.equal(status, 400, query);
        assert.equal(body.code, "VALIDATION_FAILED");
      }
      const foreign = await history(env, other.id, `?cursor=${first.body.nextCursor}`);
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.errors[0].path, "cursor");
    });
  } finally {
    await env.close();
  }
});
