import assert from "node:assert/strict";
import { ADMIN_URL, createTestDatabase } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { insertCustomer } from "../support/fixtures.ts";
import { startTcpProxy } from "../support/tcp_proxy.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

async function listedNames(env: TestApp): Promise<string[]> {
  const response = await env.request("GET", "/customers?keyword=only", { as: USERS.admin });
  assert.equal(response.status, 200);
  return (await response.json()).items.map((item: { customerName: string }) => item.customerName);
}

async function replicaCheck(env: TestApp) {
  const response = await env.request("GET", "/readyz");
  const body = await response.json();
  return { status: response.status, replica: body.checks.replica };
}

Deno.test("a replica that goes away is bypassed without a failed list, and used again once back", async () => {
  // A stand-in replica behind a proxy that can be cut: its rows differ, so answers show the server.
  const replica = await createTestDatabase("replica_fallback");
  await insertCustomer(replica.sql, {
    businessDomain: "COLD_CHAIN",
    customerName: "Only On Replica",
  });
  const proxy = startTcpProxy({ hostname: "127.0.0.1", port: Number(new URL(ADMIN_URL).port) });
  const url = new URL(replica.url);
  url.port = String(proxy.port);
  const env = await startTestApp("replica_fallback_primary", {
    env: { DATABASE_READ_URL: url.toString(), READYZ_TIMEOUT_MS: "1000" },
  });
  try {
    await insertCustomer(env.db.sql, {
      businessDomain: "COLD_CHAIN",
      customerName: "Only On Primary",
    });
    assert.deepEqual(await listedNames(env), ["Only On Replica"]);
    const before = await replicaCheck(env);
    assert.equal(before.status, 200);
    assert.equal(before.replica.status, "up");
    assert.equal(before.replica.lagMs, 0);

    proxy.cut();
    // Before or after the next poll notices: the list is answered, by the primary.
    assert.deepEqual(await listedNames(env), ["Only On Primary"]);
    await eventually("readyz reports the replica down", async () => {
      const { status, replica } = await replicaCheck(env);
      return status === 200 && replica.status === "down";
    }, 5_000);
    const metrics = await (await env.request("GET", "/metrics")).text();
    assert.match(metrics, /customer_service_db_replica_in_use 0/);

    proxy.restore();
    await eventually("the replica is used again", async () => {
      return (await replicaCheck(env)).replica.status === "up";
    }, 5_000);
    assert.deepEqual(await listedNames(env), ["Only On Replica"]);
  } finally {
    proxy.close();
    await env.close();
    await replica.drop();
  }
});

Deno.test("an unreachable replica at start: lists read the primary, /readyz stays 200", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const env = await startTestApp("replica_unreachable", {
    env: { DATABASE_READ_URL: `postgres://postgres@127.0.0.1:${port}/none` },
  });
  try {
    await insertCustomer(env.db.sql, {
      businessDomain: "COLD_CHAIN",
      customerName: "Only On Primary",
    });
    assert.deepEqual(await listedNames(env), ["Only On Primary"]);
    const { status, replica } = await replicaCheck(env);
    assert.equal(status, 200);
    assert.equal(replica.status, "down");
  } finally {
    await env.close();
  }
});
