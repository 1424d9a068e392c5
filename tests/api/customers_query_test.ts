import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";
const COLD = "COLD_CHAIN";

type User = typeof USERS[keyof typeof USERS];
// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

async function problemOf(response: Response, status: number, code: string) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}`);
  const body = await response.json();
  assert.equal(body.code, code);
  return body;
}

async function create(
  env: TestApp,
  name: string,
  options: { domain?: string; as?: User; companyCode?: string; externalCode?: string } = {},
): Promise<Json> {
  const response = await env.request("POST", "/customers", {
    as: options.as ?? USERS.admin,
    body: {
      customer: {
        customerName: name,
        businessDomain: options.domain ?? GW,
        ...(options.externalCode ? { externalCode: options.externalCode } : {}),
      },
      company: options.companyCode
        ? { companyCode: options.companyCode }
        : { companyName: `${name} Co` },
    },
  });
  assert.equal(response.status, 201, await response.clone().text());
  return await response.json();
}

async function list(env: TestApp, query: string, as: User = USERS.std): Promise<Json> {
  const response = await env.request("GET", `/customers${query}`, { as });
  assert.equal(response.status, 200, await response.clone().text());
  return await response.json();
}

const ids = (page: Json) => page.items.map((item: Json) => item.id);

Deno.test("customer queries, details, updates and companies", async (t) => {
  const env = await startTestApp("customers_query");
  try {
    const alpha = await create(env, "Alpha Freight", { externalCode: "ALPHA_1" });
    const beta = await create(env, "beta 100% logistics");
    const same1 = await create(env, "Same Name");
    const same2 = await create(env, "Same Name");
    const same3 = await create(env, "Same Name");
    const cold = await create(env, "Alpha Cold", { domain: COLD });
    const gwIds = [alpha.id, beta.id, same1.id, same2.id, same3.id];

    await t.step("lists are restricted to the user's domains", async () => {
      const page = await list(env, "");
      assert.deepEqual(ids(page).sort(), [...gwIds].sort());
      assert.equal(page.total, 5);
      assert.equal(page.page, 1);
      assert.equal(page.pageSize, 20);
      assert.deepEqual(ids(await list(env, "", USERS.cold)), [cold.id]);
      assert.equal((await list(env, "", USERS.admin)).total, 6);
    });

    await t.step("the default sort is -createdAt, ties by id descending", async () => {
      assert.deepEqual(ids(await list(env, "")), [...gwIds].reverse());
    });

    await t.step(
      "keyword matches name or code case-insensitively, wildcards literally",
      async () => {
        assert.deepEqual(
          ids(await list(env, "?keyword=ALPHA", USERS.admin)).sort(),
          [
            alpha.id,
            cold.id,
          ].sort(),
        );
        assert.deepEqual(ids(await list(env, "?keyword=alpha")), [alpha.id]);
        assert.deepEqual(ids(await list(env, "?keyword=mn-ALPHA_1")), [alpha.id]);
        assert.deepEqual(ids(await list(env, `?keyword=${encodeURIComponent("100%")}`)), [beta.id]);
        assert.deepEqual(ids(await list(env, "?keyword=ALPHA%5F1")), [alpha.id]);
        assert.deepEqual(ids(await list(env, "?keyword=a_p")), []);
        assert.equal((await list(env, "?keyword=zzz")).total, 0);
      },
    );

    await t.step("sort by name is stable: ties broken by id in the sort's direction", async () => {
      const ascending = ids(await list(env, "?sort=customerName"));
      assert.deepEqual(ascending, [alpha.id, same1.id, same2.id, same3.id, beta.id]);
      const descending = ids(await list(env, "?sort=-customerName"));
      assert.deepEqual(descending, [beta.id, same3.id, same2.id, same1.id, alpha.id]);
      const byCode = ids(await list(env, "?sort=customerCode"));
      assert.equal(byCode.length, 5);
    });

    await t.step("pages partition the sorted list", async () => {
      const all = ids(await list(env, "?sort=customerName"));
      const pages = [];
      for (const page of [1, 2, 3]) {
        const body = await list(env, `?sort=customerName&page=${page}&pageSize=2`);
        assert.equal(body.total, 5);
        assert.equal(body.pageSize, 2);
        pages.push(...ids(body));
      }
      assert.deepEqual(pages, all);
      assert.deepEqual(ids(await list(env, "?page=9&pageSize=2")), []);
    });

    await t.step("bad queries are 400, never clamped or ignored", async () => {
      for (
        const query of [
          "?page=0",
          "?pageSize=101",
          "?pageSize=0",
          "?sort=id",
          "?status=DELETED",
          "?businessDomain=NOPE",
          "?unknown=1",
          "?companyId=abc",
        ]
      ) {
        const response = await env.request("GET", `/customers${query}`, { as: USERS.std });
        const body = await problemOf(response, 400, "VALIDATION_FAILED");
        assert.ok(body.errors.length > 0, query);
      }
    });

    await t.step("filters: businessDomain, status, source, companyId, groupId", async () => {
      assert.deepEqual(ids(await list(env, `?businessDomain=${COLD}`, USERS.admin)), [cold.id]);
      await problemOf(
        await env.request("GET", `/customers?businessDomain=${COLD}`, { as: USERS.std }),
        403,
        "FORBIDDEN",
      );
      assert.equal((await list(env, "?status=PENDING")).total, 5);
      assert.equal((await list(env, "?status=ACTIVE")).total, 0);
      assert.equal((await list(env, "?source=RB")).total, 0);
      assert.equal((await list(env, "?source=MANUAL")).total, 5);
      assert.deepEqual(ids(await list(env, `?companyId=${alpha.company.id}`)), [alpha.id]);
      const group = await (await env.request("POST", "/customer-groups", {
        as: USERS.std,
        body: { groupName: "Filter group", businessDomain: GW },
      })).json();
      const put = await env.request("PUT", `/customer-groups/${group.id}/members`, {
        as: USERS.std,
        body: { customerIds: [beta.id, same2.id] },
      });
      assert.equal(put.status, 200, await put.clone().text());
      await put.body?.cancel();
      assert.deepEqual(
        ids(await list(env, `?groupId=${group.id}`)).sort(),
        [beta.id, same2.id].sort(),
      );
    });

    await t.step("a user with no domain gets 403 on lists and details", async () => {
      await problemOf(
        await env.request("GET", "/customers", { as: USERS.nobody }),
        403,
        "FORBIDDEN",
      );
      await problemOf(
        await env.request("GET", `/customers/${alpha.id}`, { as: USERS.nobody }),
        403,
        "FORBIDDEN",
      );
      await problemOf(
        await env.request("GET", "/companies", { as: USERS.nobody }),
        403,
        "FORBIDDEN",
      );
    });

    await t.step("the detail has the full company, groups and an ETag", async () => {
      const response = await env.request("GET", `/customers/${beta.id}`, { as: USERS.std });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("etag"), '"1"');
      const detail = await response.json();
      assert.equal(detail.customerName, "beta 100% logistics");
      assert.deepEqual(detail.groups.map((group: Json) => group.groupName), ["Filter group"]);
      assert.deepEqual(Object.keys(detail.company).sort(), [
        "address",
        "companyCode",
        "companyName",
        "contactName",
        "contactPhone",
        "createdAt",
        "id",
        "source",
        "sourceRefId",
        "unifiedSocialCreditCode",
        "updatedAt",
        "version",
      ]);
    });

    await t.step("a foreign-domain or unknown id is 404 CUSTOMER_NOT_FOUND", async () => {
      await problemOf(
        await env.request("GET", `/customers/${cold.id}`, { as: USERS.std }),
        404,
        "CUSTOMER_NOT_FOUND",
      );
      await problemOf(
        await env.request("GET", "/customers/999999", { as: USERS.std }),
        404,
        "CUSTOMER_NOT_FOUND",
      );
      await problemOf(
        await env.request("PATCH", `/customers/${cold.id}`, {
          as: USERS.std,
          body: { remark: "x" },
        }),
        404,
        "CUSTOMER_NOT_FOUND",
      );
      await problemOf(
        await env.request("GET", "/customers/abc", { as: USERS.std }),
        400,
        "VALIDATION_FAILED",
      );
    });

    await t.step(
      "PATCH updates fields, bumps the version, records operator and event",
      async () => {
        const response = await env.request("PATCH", `/customers/${alpha.id}`, {
          as: USERS.std,
          headers: { "if-match": '"1"' },
          body: { customerName: "Alpha Freight Renamed", remark: "vip", contactName: "Han Meimei" },
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("etag"), '"2"');
        const detail = await response.json();
        assert.equal(detail.customerName, "Alpha Freight Renamed");
        assert.equal(detail.remark, "vip");
        assert.equal(detail.version, 2);
        assert.equal(detail.operationUid, "U-STD");
        assert.ok(detail.updatedAt > alpha.updatedAt);
        const events = await env.db.sql`
        select event_type, payload from domain_event
        where aggregate_type = 'Customer' and aggregate_id = ${alpha.id} order by id`;
        assert.deepEqual(events.map((event) => event.event_type), [
          "CustomerCreated",
          "CustomerUpdated",
        ]);
        assert.deepEqual(events[1].payload.changes.remark, { old: null, new: "vip" });
      },
    );

    await t.step("PATCH with a stale If-Match is 412 and changes nothing", async () => {
      await problemOf(
        await env.request("PATCH", `/customers/${alpha.id}`, {
          as: USERS.std,
          headers: { "if-match": '"1"' },
          body: { remark: "stale" },
        }),
        412,
        "VERSION_CONFLICT",
      );
      const [row] = await env.db.sql`select remark, version from customer where id = ${alpha.id}`;
      assert.deepEqual({ ...row }, { remark: "vip", version: 2 });
    });

    await t.step("PATCH bodies are strict and need a field", async () => {
      for (const body of [{}, { status: "ACTIVE" }, { customerCode: "X" }, { customerName: "" }]) {
        await problemOf(
          await env.request("PATCH", `/customers/${alpha.id}`, { as: USERS.std, body }),
          400,
          "VALIDATION_FAILED",
        );
      }
    });

    await t.step("moving to a domain the user lacks is 403", async () => {
      await problemOf(
        await env.request("PATCH", `/customers/${beta.id}`, {
          as: USERS.std,
          body: { businessDomain: COLD },
        }),
        403,
        "FORBIDDEN",
      );
    });

    await t.step("moving domains removes the customer from groups of the old one", async () => {
      const [groupBefore] = await env.db.sql`
        select g.id, g.version from customer_group g where g.group_name = 'Filter group'`;
      const response = await env.request("PATCH", `/customers/${beta.id}`, {
        as: USERS.admin,
        body: { businessDomain: COLD },
      });
      assert.equal(response.status, 200);
      const detail = await response.json();
      assert.equal(detail.businessDomain, COLD);
      assert.deepEqual(detail.groups, []);
      const members = await env.db.sql`
        select customer_id from customer_group_member where group_id = ${groupBefore.id}`;
      assert.deepEqual(members.map((row) => row.customer_id), [same2.id]);
      const [groupAfter] = await env.db.sql`
        select version from customer_group where id = ${groupBefore.id}`;
      assert.equal(groupAfter.version, groupBefore.version + 1);
      await problemOf(
        await env.request("GET", `/customers/${beta.id}`, { as: USERS.std }),
        404,
        "CUSTOMER_NOT_FOUND",
      );
    });

    await t.step(
      "status changes follow the machine; events carry from, to and reason",
      async () => {
        const path = `/customers/${same1.id}/status`;
        const activate = await env.request("PATCH", path, {
          as: USERS.std,
          body: { status: "ACTIVE", reason: "signed" },
        });
        assert.equal(activate.status, 200);
        assert.equal((await activate.json()).status, "ACTIVE");
        await problemOf(
          await env.request("PATCH", path, { as: USERS.std, body: { status: "ACTIVE" } }),
          409,
          "INVALID_STATUS_TRANSITION",
        );
        await problemOf(
          await env.request("PATCH", path, { as: USERS.std, body: { status: "PENDING" } }),
          409,
          "INVALID_STATUS_TRANSITION",
        );
        await problemOf(
          await env.request("PATCH", path, {
            as: USERS.std,
            headers: { "if-match": '"1"' },
            body: { status: "SUSPENDED" },
          }),
          412,
          "VERSION_CONFLICT",
        );
        for (const status of ["SUSPENDED", "TERMINATED"]) {
          const response = await env.request("PATCH", path, { as: USERS.std, body: { status } });
          assert.equal(response.status, 200);
          await response.body?.cancel();
        }
        await problemOf(
          await env.request("PATCH", path, { as: USERS.std, body: { status: "ACTIVE" } }),
          409,
          "INVALID_STATUS_TRANSITION",
        );
        await problemOf(
          await env.request("PATCH", path, { as: USERS.std, body: { status: "GONE" } }),
          400,
          "VALIDATION_FAILED",
        );
        const [event] = await env.db.sql`
        select payload from domain_event
        where aggregate_type = 'Customer' and aggregate_id = ${same1.id} and event_type = 'CustomerStatusChanged' order by id limit 1`;
        assert.deepEqual(event.payload.from, "PENDING");
        assert.deepEqual(event.payload.to, "ACTIVE");
        assert.deepEqual(event.payload.reason, "signed");
      },
    );

    await t.step("companies: only those with a customer in the user's domains", async () => {
      const page = await (await env.request("GET", "/companies?sort=companyName", {
        as: USERS.cold,
      })).json();
      assert.deepEqual(
        page.items.map((item: Json) => item.id).sort(),
        [cold.company.id, beta.company.id].sort(),
      );
      assert.equal(page.total, 2);
      const detail = await env.request("GET", `/companies/${cold.company.id}`, { as: USERS.cold });
      assert.equal(detail.status, 200);
      assert.equal(detail.headers.get("etag"), '"1"');
      assert.equal((await detail.json()).companyName, "Alpha Cold Co");
      await problemOf(
        await env.request("GET", `/companies/${alpha.company.id}`, { as: USERS.cold }),
        404,
        "COMPANY_NOT_FOUND",
      );
      const keyword = await (await env.request("GET", "/companies?keyword=ALPHA%20cold", {
        as: USERS.admin,
      })).json();
      assert.deepEqual(keyword.items.map((item: Json) => item.id), [cold.company.id]);
      await problemOf(
        await env.request("GET", "/companies?pageSize=500", { as: USERS.std }),
        400,
        "VALIDATION_FAILED",
      );
    });
  } finally {
    await env.close();
  }
});
