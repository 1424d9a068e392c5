import assert from "node:assert/strict";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";

Deno.test(
  "domain events record the operator, the domain and the changed fields",
  async (t) => {
    const env = await startTestApp("domain_event_operator");
    try {
      const created = await env.request("POST", "/customers", {
        as: USERS.std,
        body: {
          customer: { customerName: "Operator Co", businessDomain: GW },
          company: { companyCode: "OP-CO", companyName: "Operator Company" },
        },
      });
      assert.equal(created.status, 201);
      const customer = await created.json();

      await t.step("a PATCH records old and new values of the fields that changed", async () => {
        const patched = await env.request("PATCH", `/customers/${customer.id}`, {
          as: USERS.admin,
          body: { customerName: "Operator Co 2", remark: null, contactName: "Li" },
        });
        assert.equal(patched.status, 200);
        const [event] = await env.db.sql<
          { payload: Record<string, unknown>; operation_uid: string; operation_name: string }[]
        >`select payload, operation_uid, operation_name, business_domain from domain_event
        where event_type = 'CustomerUpdated' and aggregate_id = ${customer.id}`;
        assert.deepEqual(event.payload.changes, {
          customerName: { old: "Operator Co", new: "Operator Co 2" },
          contactName: { old: null, new: "Li" },
        });
        assert.equal(event.operation_uid, USERS.admin.dingUserId);
        assert.equal(event.operation_name, USERS.admin.name);
      });

      await t.step("a status change records the status as a change", async () => {
        const response = await env.request("PATCH", `/customers/${customer.id}/status`, {
          as: USERS.std,
          body: { status: "ACTIVE" },
        });
        assert.equal(response.status, 200);
        const [event] = await env.db.sql<
          { payload: Record<string, unknown>; operation_uid: string }[]
        >`select payload, operation_uid from domain_event
        where event_type = 'CustomerStatusChanged' and aggregate_id = ${customer.id}`;
        assert.deepEqual(event.payload.changes, { status: { old: "PENDING", new: "ACTIVE" } });
        assert.equal(event.operation_uid, USERS.std.dingUserId);
      });

      await t.step("every event has its operator and its aggregate's business domain", async () => {
        const group = await (await env.request("POST", "/customer-groups", {
          as: USERS.std,
          body: { groupName: "Ops", businessDomain: GW },
        })).json();
        const put = await env.request("PUT", `/customer-groups/${group.id}/members`, {
          as: USERS.std,
          body: { customerIds: [customer.id] },
        });
        assert.equal(put.status, 200);
        const rows = await env.db.sql<
          { event_type: string; operation_uid: string | null; business_domain: string | null }[]
        >`select event_type, operation_uid, operation_name, business_domain from domain_event
        order by id`;
        assert.deepEqual(rows.map((row) => row.event_type), [
          "CustomerCreated",
          "CustomerUpdated",
          "CustomerStatusChanged",
          "CustomerGroupCreated",
          "CustomerGroupMembersReplaced",
        ]);
        for (const row of rows) {
          assert.ok(row.operation_uid, `${row.event_type} has an operator`);
          assert.equal(row.business_domain, GW);
        }
      });
    } finally {
      await env.close();
    }
  },
);
