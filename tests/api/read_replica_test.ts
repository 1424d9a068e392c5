import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.ts";
import { insertCustomer } from "../support/fixtures.ts";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

Deno.test(
  "lists and searches read DATABASE_READ_URL; details and writes use the primary",
  async () => {
    // A stand-in replica: a second database whose rows differ, so the answer shows who served it.
    const replica = await createTestDatabase("replica");
    const env = await startTestApp("primary", { env: { DATABASE_READ_URL: replica.url } });
    try {
      const onReplica = await insertCustomer(replica.sql, {
        businessDomain: "COLD_CHAIN",
        customerName: "Only On Replica",
      });
      const created = await env.request("POST", "/customers", {
        as: USERS.admin,
        body: {
          customer: { customerName: "Only On Primary", businessDomain: "COLD_CHAIN" },
          company: { companyName: "Primary Co" },
        },
      });
      assert.equal(created.status, 201);
      const primaryId = (await created.json()).id;

      const list = await env.request("GET", "/customers?keyword=only", { as: USERS.admin });
      assert.equal(list.status, 200);
      const names = (await list.json()).items.map((item: { customerName: string }) =>
        item.customerName
      );
      assert.deepEqual(names, ["Only On Replica"]);

      const detail = await env.request("GET", `/customers/${primaryId}`, { as: USERS.admin });
      assert.equal(detail.status, 200);
      assert.equal((await detail.json()).customerName, "Only On Primary");
      assert.ok(onReplica.id > 0);
    } finally {
      await env.close();
      await replica.drop();
    }
  },
);
