import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

// Contract §4 and §10.1: every route that takes an id answers a user of another business domain
// exactly as for an id that does not exist, and changes nothing.

const GW = "GENERAL_WAREHOUSING";

async function snapshot(env: TestApp) {
  const [row] = await env.db.sql`
    select (select json_agg(c order by id) from customer c) as customers,
      (select json_agg(co order by id) from company co) as companies,
      (select json_agg(g order by id) from customer_group g) as groups,
      (select count(*)::int from customer_group_member) as members,
      (select count(*)::int from domain_event) as events,
      (select count(*)::int from external_system_sync) as syncs`;
  return JSON.stringify(row);
}

Deno.test("every id route answers another domain's record as missing", async () => {
  const env = await startTestApp("foreign_matrix", { redis: false });
  try {
    const customer = await (await env.request("POST", "/customers", {
      as: USERS.std,
      body: {
        customer: { customerName: "GW only", businessDomain: GW },
        company: { companyName: "GW Only Co" },
      },
    })).json();
    const group = await (await env.request("POST", "/customer-groups", {
      as: USERS.std,
      body: { groupName: "GW only group", businessDomain: GW },
    })).json();
    const missing = 9_999_999;
    const routes = (id: { customer: number; company: number; group: number }) => [
      { method: "GET", path: `/customers/${id.customer}`, code: "CUSTOMER_NOT_FOUND" },
      {
        method: "PATCH",
        path: `/customers/${id.customer}`,
        body: { remark: "x" },
        code: "CUSTOMER_NOT_FOUND",
      },
      {
        method: "PATCH",
        path: `/customers/${id.customer}`,
        body: { businessDomain: "COLD_CHAIN" },
        code: "CUSTOMER_NOT_FOUND",
      },
      {
        method: "PATCH",
        path: `/customers/${id.customer}/status`,
        body: { status: "ACTIVE" },
        code: "CUSTOMER_NOT_FOUND",
      },
      { method: "GET", path: `/companies/${id.company}`, code: "COMPANY_NOT_FOUND" },
      { method: "GET", path: `/customer-groups/${id.group}`, code: "GROUP_NOT_FOUND" },
      {
        method: "PUT",
        path: `/customer-groups/${id.group}/members`,
        body: { customerIds: [] },
        code: "GROUP_NOT_FOUND",
      },
    ];
    const before = await snapshot(env);
    const foreign = routes({
      customer: customer.id,
      company: customer.company.id,
      group: group.id,
    });
    const absent = routes({ customer: missing, company: missing, group: missing });
    for (const [n, route] of foreign.entries()) {
      const response = await env.request(route.method, route.path, {
        as: USERS.cold,
        body: route.body,
      });
      const body = await response.json();
      assert.equal(response.status, 404, `${route.method} ${route.path}`);
      assert.equal(body.code, route.code);
      const twin = await env.request(absent[n].method, absent[n].path, {
        as: USERS.cold,
        body: absent[n].body,
      });
      const twinBody = await twin.json();
      assert.equal(twin.status, 404);
      assert.equal(
        body.detail.replace(String(customer.id), "ID").replace(String(group.id), "ID")
          .replace(String(customer.company.id), "ID"),
        twinBody.detail.replace(String(missing), "ID"),
        "the answer cannot tell a foreign record from a missing one",
      );
    }
    for (
      const path of [
        `/customers?companyId=${customer.company.id}`,
        `/customers?groupId=${group.id}`,
        `/external-sync?entityId=${customer.id}`,
      ]
    ) {
      const response = await env.request("GET", path, { as: USERS.cold });
      assert.equal(response.status, 200, path);
      assert.deepEqual((await response.json()).items, [], path);
    }
    assert.equal(await snapshot(env), before, "nothing changed");
  } finally {
    await env.close();
  }
});
