import assert from "node:assert/strict";
import { type CustomerFixture, insertCustomer } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { type TestUser, USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";
const COLD = "COLD_CHAIN";

function merge(
  env: TestApp,
  targetId: number,
  sourceId: unknown,
  options: { as?: TestUser; ifMatch?: string } = {},
) {
  return env.request("POST", `/customers/${targetId}/merge`, {
    as: options.as ?? USERS.std,
    body: { sourceCustomerId: sourceId },
    headers: options.ifMatch ? { "if-match": options.ifMatch } : {},
  });
}

async function problemOf(response: Response, status: number, code: string) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}`);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const body = await response.json();
  assert.equal(body.code, code);
  return body;
}

async function createGroup(env: TestApp, name: string, domain = GW): Promise<number> {
  const response = await env.request("POST", "/customer-groups", {
    as: USERS.admin,
    body: { groupName: name, businessDomain: domain },
  });
  assert.equal(response.status, 201);
  return (await response.json()).id;
}

async function setMembers(env: TestApp, groupId: number, customerIds: number[]) {
  const response = await env.request("PUT", `/customer-groups/${groupId}/members`, {
    as: USERS.admin,
    body: { customerIds },
  });
  assert.equal(response.status, 200, await response.clone().text());
}

async function membersOf(env: TestApp, groupId: number): Promise<number[]> {
  const rows = await env.db.sql<{ customer_id: number }[]>`
    select customer_id from customer_group_member where group_id = ${groupId}
    order by customer_id`;
  return rows.map((row) => row.customer_id);
}

async function customerRow(env: TestApp, id: number) {
  const [row] = await env.db.sql<
    { status: string; merged_into_id: number | null; version: number }[]
  >`select status, merged_into_id, version from customer where id = ${id}`;
  return { ...row };
}

async function insertSync(env: TestApp, customerId: number, remoteId: string) {
  await env.db.sql`
    insert into external_system_sync (entity_type, entity_id, source, remote_id, business_domain,
      sync_status, operation_uid)
    values ('CUSTOMER', ${customerId}, 'RB', ${remoteId}, ${GW}, 'SUCCESS', 'U-FIXTURE')`;
}

async function pair(env: TestApp, domain = GW): Promise<[CustomerFixture, CustomerFixture]> {
  return [
    await insertCustomer(env.db.sql, { businessDomain: domain }),
    await insertCustomer(env.db.sql, { businessDomain: domain }),
  ];
}

Deno.test("POST /customers/{id}/merge (contract §10.6)", async (t) => {
  const env = await startTestApp("customer_merge");
  try {
    await t.step("memberships and sync rows move; the source ends merged", async () => {
      const [target, source] = await pair(env);
      const onlySource = await createGroup(env, "Only source");
      const both = await createGroup(env, "Both");
      const onlyTarget = await createGroup(env, "Only target");
      await setMembers(env, onlySource, [source.id]);
      await setMembers(env, both, [source.id, target.id]);
      await setMembers(env, onlyTarget, [target.id]);
      await insertSync(env, source.id, "R-SRC-1");
      await insertSync(env, target.id, "R-TGT-1");
      // Warm the caches the merge must invalidate.
      for (const path of [`/customers/${source.id}`, `/customer-groups/${onlySource}`]) {
        assert.equal((await env.request("GET", path, { as: USERS.std })).status, 200);
      }
      const targetDetail = await env.request("GET", `/customers/${target.id}`, { as: USERS.std });
      const etag = targetDetail.headers.get("etag")!;
      const groupVersions = await env.db.sql<{ id: number; version: number }[]>`
        select id, version from customer_group where id in (${onlySource}, ${both}) order by id`;

      const response = await merge(env, target.id, source.id, { ifMatch: etag });
      assert.equal(response.status, 200, await response.clone().text());
      const detail = await response.json();
      assert.equal(detail.id, target.id);
      assert.equal(detail.mergedIntoId, null);
      assert.equal(detail.version, (await targetDetail.json()).version + 1);
      assert.equal(response.headers.get("etag"), `"${detail.version}"`);
      assert.deepEqual(
        detail.groups.map((group: { id: number }) => group.id),
        [onlySource, both, onlyTarget],
      );

      for (const group of [onlySource, both, onlyTarget]) {
        assert.deepEqual(await membersOf(env, group), [target.id], `group ${group}`);
      }
      const bumped = await env.db.sql<{ id: number; version: number }[]>`
        select id, version from customer_group where id in (${onlySource}, ${both}) order by id`;
      assert.deepEqual(
        bumped.map((group) => group.version),
        groupVersions.map((group) => group.version + 1),
      );
      const syncs = await env.db.sql<{ remote_id: string; entity_id: number }[]>`
        select remote_id, entity_id from external_system_sync order by remote_id`;
      assert.deepEqual(syncs.map((row) => ({ ...row })), [
        { remote_id: "R-SRC-1", entity_id: target.id },
        { remote_id: "R-TGT-1", entity_id: target.id },
      ]);
      const sourceRow = await customerRow(env, source.id);
      assert.equal(sourceRow.status, "TERMINATED");
      assert.equal(sourceRow.merged_into_id, target.id);
      assert.equal(sourceRow.version, 2);

      const events = await env.db.sql<
        { aggregate_type: string; aggregate_id: number; payload: unknown; trace_id: string }[]
      >`select aggregate_type, aggregate_id, payload, trace_id from domain_event
        where event_type = 'CustomerMerged'`;
      assert.equal(events.length, 1);
      assert.equal(events[0].aggregate_type, "Customer");
      assert.equal(events[0].aggregate_id, target.id);
      assert.deepEqual(events[0].payload, {
        sourceCustomerId: source.id,
        targetCustomerId: target.id,
        movedGroupIds: [onlySource, both],
      });
      assert.equal(events[0].trace_id, response.headers.get("x-trace-id"));

      // Caches were invalidated: the details show the merge.
      const sourceAfter = await (await env.request("GET", `/customers/${source.id}`, {
        as: USERS.std,
      })).json();
      assert.equal(sourceAfter.status, "TERMINATED");
      assert.equal(sourceAfter.mergedIntoId, target.id);
      assert.deepEqual(sourceAfter.groups, []);
      const group = await (await env.request("GET", `/customer-groups/${onlySource}`, {
        as: USERS.std,
      })).json();
      assert.deepEqual(group.members.map((m: { customerId: number }) => m.customerId), [
        target.id,
      ]);
      const listed = await (await env.request(
        "GET",
        `/customers?status=TERMINATED&companyId=${source.companyId}`,
        { as: USERS.std },
      )).json();
      assert.equal(listed.items[0].mergedIntoId, target.id);

      // Merged once is final.
      const again = await problemOf(
        await merge(env, target.id, source.id),
        409,
        "INVALID_STATUS_TRANSITION",
      );
      assert.match(again.detail, /already merged/);
    });

    await t.step("crossing merges A into B and B into A: exactly one succeeds", async () => {
      for (let round = 0; round < 5; round++) {
        const [a, b] = await pair(env);
        const group = await createGroup(env, `Crossing ${round}`);
        await setMembers(env, group, [a.id, b.id]);
        const responses = await Promise.all([merge(env, a.id, b.id), merge(env, b.id, a.id)]);
        const statuses = responses.map((response) => response.status).sort();
        assert.deepEqual(statuses, [200, 409], `round ${round}`);
        const rows = [await customerRow(env, a.id), await customerRow(env, b.id)];
        assert.equal(rows.filter((row) => row.merged_into_id !== null).length, 1);
        const kept = rows[0].merged_into_id === null ? a.id : b.id;
        assert.deepEqual(await membersOf(env, group), [kept]);
        const [{ n }] = await env.db.sql<{ n: number }[]>`
          select count(*)::int as n from domain_event where event_type = 'CustomerMerged'
            and aggregate_id in (${a.id}, ${b.id})`;
        assert.equal(n, 1);
      }
    });

    await t.step("a merge and a member replacement at once never deadlock", async () => {
      for (let round = 0; round < 5; round++) {
        const [target, source] = await pair(env);
        const other = await insertCustomer(env.db.sql);
        const group = await createGroup(env, `Racing ${round}`);
        await setMembers(env, group, [source.id]);
        const [merged, replaced] = await Promise.all([
          merge(env, target.id, source.id),
          env.request("PUT", `/customer-groups/${group}/members`, {
            as: USERS.admin,
            body: { customerIds: [source.id, other.id] },
          }),
        ]);
        assert.equal(merged.status, 200, await merged.clone().text());
        // Replaced first: the merge moves the source's new row; replaced after: the source is
        // terminated and refused as a member.
        assert.ok([200, 422].includes(replaced.status), String(replaced.status));
        const members = await membersOf(env, group);
        assert.ok(!members.includes(source.id), `round ${round}: ${members}`);
        if (replaced.status === 200) {
          assert.deepEqual(members, [target.id, other.id].sort((a, b) => a - b));
        }
      }
    });

    await t.step("merging a customer into itself is 422", async () => {
      const [a] = await pair(env);
      const body = await problemOf(await merge(env, a.id, a.id), 422, "VALIDATION_FAILED");
      assert.equal(body.errors[0].path, "sourceCustomerId");
      assert.equal((await customerRow(env, a.id)).status, "ACTIVE");
    });

    await t.step("a stale If-Match is 412 and nothing changes", async () => {
      const [target, source] = await pair(env);
      await problemOf(
        await merge(env, target.id, source.id, { ifMatch: '"7"' }),
        412,
        "VERSION_CONFLICT",
      );
      assert.deepEqual(await customerRow(env, source.id), {
        status: "ACTIVE",
        merged_into_id: null,
        version: 1,
      });
      assert.equal(
        (await merge(env, target.id, source.id, { ifMatch: '"1"' })).status,
        200,
      );
    });

    await t.step("customers of two domains are 422 DOMAIN_MISMATCH", async () => {
      const target = await insertCustomer(env.db.sql, { businessDomain: GW });
      const source = await insertCustomer(env.db.sql, { businessDomain: COLD });
      await problemOf(
        await merge(env, target.id, source.id, { as: USERS.admin }),
        422,
        "DOMAIN_MISMATCH",
      );
      assert.equal((await customerRow(env, source.id)).merged_into_id, null);
    });

    await t.step("another domain's customers are 404 (never probed)", async () => {
      const [target, source] = await pair(env);
      const cold = await insertCustomer(env.db.sql, { businessDomain: COLD });
      await problemOf(
        await merge(env, target.id, source.id, { as: USERS.cold }),
        404,
        "CUSTOMER_NOT_FOUND",
      );
      // A source the user cannot see is not found, not a domain mismatch.
      await problemOf(await merge(env, target.id, cold.id), 404, "CUSTOMER_NOT_FOUND");
      await problemOf(await merge(env, target.id, 987654321), 404, "CUSTOMER_NOT_FOUND");
      await problemOf(
        await merge(env, target.id, source.id, { as: USERS.nobody }),
        403,
        "FORBIDDEN",
      );
      assert.equal((await customerRow(env, source.id)).merged_into_id, null);
    });

    await t.step("a terminated source or target is 409", async () => {
      const [target, source] = await pair(env);
      const dead = await insertCustomer(env.db.sql, { status: "TERMINATED" });
      await problemOf(await merge(env, target.id, dead.id), 409, "INVALID_STATUS_TRANSITION");
      await problemOf(await merge(env, dead.id, source.id), 409, "INVALID_STATUS_TRANSITION");
      assert.equal((await customerRow(env, source.id)).status, "ACTIVE");
    });

    await t.step("a bad body is 400 naming the field", async () => {
      const [target] = await pair(env);
      for (const body of [{}, { sourceCustomerId: "x" }, { sourceCustomerId: 1, extra: 1 }]) {
        const response = await env.request("POST", `/customers/${target.id}/merge`, {
          as: USERS.std,
          body,
        });
        const problem = await problemOf(response, 400, "VALIDATION_FAILED");
        assert.ok(problem.errors.length > 0);
      }
    });

    await t.step("Customer JSON and the OpenAPI document carry mergedIntoId", async () => {
      const [a] = await pair(env);
      const detail = await (await env.request("GET", `/customers/${a.id}`, { as: USERS.std }))
        .json();
      assert.equal(detail.mergedIntoId, null);
      const doc = await (await env.request("GET", "/openapi.json")).json();
      for (const schema of ["Customer", "CustomerDetail"]) {
        assert.ok(doc.components.schemas[schema].properties.mergedIntoId, schema);
        assert.ok(doc.components.schemas[schema].required.includes("mergedIntoId"), schema);
      }
      assert.ok(doc.paths["/customers/{id}/merge"].post);
      assert.ok(doc.paths["/customers/possible-duplicates"].get);
    });
  } finally {
    await env.close();
  }
});
