import assert from "node:assert/strict";
import { createCustomerBatch } from "../../src/application/customer/create_customer_batch.ts";
import type { CurrentUser } from "../../src/domain/auth/current_user.ts";
import { createTestMysqlDatabase } from "../support/mysql.ts";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";

interface Item {
  remoteId: string;
  syncStatus: string;
  customerId?: number;
  errorCode?: string;
}

function sourceRow(remoteId: string, companyRef: string, companyName = `Company ${companyRef}`) {
  return [remoteId, `Customer ${remoteId}`, companyName, companyRef, GW];
}

function rbInput(remoteId: string, company: { sourceRefId?: string; companyName?: string }) {
  return {
    customer: {
      customerName: `Customer ${remoteId}`,
      businessDomain: GW,
      source: "RB" as const,
      externalCode: remoteId,
    },
    company: { source: "RB" as const, ...company },
    remoteId,
  };
}

const OPERATOR: CurrentUser = {
  dingUserId: "U-BATCH",
  name: "Batch operator",
  unionId: "",
  roles: [],
  positions: [],
  departments: [],
  domainCodes: [GW],
};

Deno.test(
  "a batched import isolates bad rows: the others succeed, each bad row fails alone",
  async (t) => {
    const source = await createTestMysqlDatabase();
    const env = await startTestApp("sync_batch", { env: { EXTERNAL_MYSQL_URL: source.url } });
    const sql = env.db.sql;
    const failedRows = async (remoteId: string) =>
      await sql`select error_code, business_domain, entity_id from external_system_sync
        where remote_id = ${remoteId} and sync_status = 'FAILED'`;
    try {
      await t.step("rows conflicting in the database fail alone inside one batch", async () => {
        // BATCH-4's customer code is taken by a customer imported under another remote id.
        const taken = await env.request("POST", "/customers", {
          as: USERS.std,
          body: {
            customer: {
              customerName: "Holder",
              businessDomain: GW,
              source: "RB",
              externalCode: "BATCH-4",
            },
            company: { source: "RB", sourceRefId: "HOLDER", companyName: "Holder Co" },
            remoteId: "OTHER-4",
          },
        });
        assert.equal(taken.status, 201);
        // BATCH-6's new company would get the code RB-CLASH-6, held by a manual company.
        const manual = await env.request("POST", "/customers", {
          as: USERS.std,
          body: {
            customer: { customerName: "Manual", businessDomain: GW },
            company: { companyCode: "RB-CLASH-6", companyName: "Manual clash" },
          },
        });
        assert.equal(manual.status, 201);
        const before = await sql`select (select count(*)::int from customer) as customers,
          (select count(*)::int from company) as companies`;

        await source.exec("delete from rb_customer");
        await source.exec(
          `insert into rb_customer (remote_id, customer_name, company_name, company_ref_id,
            business_domain, updated_at) values ?`,
          [[
            sourceRow("BATCH-1", "CO-1"),
            sourceRow("BATCH-2", "SHARED"),
            sourceRow("BATCH-3", "CO-3"),
            sourceRow("BATCH-4", "BADCO-4"),
            sourceRow("BATCH-5", "SHARED"),
            sourceRow("BATCH-6", "CLASH-6"),
            sourceRow("BATCH-7", "CO-7"),
          ].map((row, n) => [...row, `2031-01-01 00:00:0${n}`])],
        );

        const response = await env.request("POST", "/external-sync/import", {
          as: USERS.std,
          body: { source: "RB" },
        });
        assert.equal(response.status, 200);
        const body = await response.json() as { items: Item[] } & Record<string, number>;
        assert.deepEqual(
          { imported: body.imported, skipped: body.skipped, failed: body.failed },
          { imported: 5, skipped: 0, failed: 2 },
        );
        assert.deepEqual(
          body.items.map((item) => [item.remoteId, item.syncStatus, item.errorCode ?? null]),
          [
            ["BATCH-1", "SUCCESS", null],
            ["BATCH-2", "SUCCESS", null],
            ["BATCH-3", "SUCCESS", null],
            ["BATCH-4", "FAILED", "CUSTOMER_DUPLICATED"],
            ["BATCH-5", "SUCCESS", null],
            ["BATCH-6", "FAILED", "COMPANY_DUPLICATED"],
            ["BATCH-7", "SUCCESS", null],
          ],
        );
        for (const remoteId of ["BATCH-4", "BATCH-6"]) {
          const rows = await failedRows(remoteId);
          assert.equal(rows.length, 1, `exactly one FAILED row for ${remoteId}`);
          assert.equal(rows[0].business_domain, GW);
          assert.equal(rows[0].entity_id, null);
        }
        assert.equal(
          (await sql`select 1 from company where source_ref_id in ('BADCO-4', 'CLASH-6')`).length,
          0,
          "nothing of a failed row's company remains",
        );
        const [holder] = await sql`select c.customer_name, co.source_ref_id from customer c
          join company co on co.id = c.company_id where c.external_code = 'BATCH-4'`;
        assert.deepEqual({ ...holder }, { customer_name: "Holder", source_ref_id: "HOLDER" });
        const after = await sql`select (select count(*)::int from customer) as customers,
          (select count(*)::int from company) as companies`;
        assert.equal(after[0].customers - before[0].customers, 5);
        assert.equal(after[0].companies - before[0].companies, 4, "CO-1, SHARED, CO-3, CO-7");

        const created = body.items.filter((item) => item.syncStatus === "SUCCESS");
        const ids = created.map((item) => item.customerId!);
        const successes = await sql`select remote_id, entity_id from external_system_sync
          where sync_status = 'SUCCESS' and entity_id = any(${ids}::bigint[]) order by remote_id`;
        assert.deepEqual(
          successes.map((row) => [row.remote_id, row.entity_id]),
          created.map((item) => [item.remoteId, item.customerId]),
        );
        const events = await sql`select aggregate_id, payload from domain_event
          where event_type = 'CustomerCreated' and aggregate_id = any(${ids}::bigint[])
          order by aggregate_id`;
        assert.equal(events.length, 5, "one CustomerCreated per customer");
        const shared = events.filter((event) => event.payload.remoteId === "BATCH-5")[0];
        assert.equal(shared.payload.companyCreated, false, "BATCH-2 created the shared company");
        assert.equal(
          events.filter((event) => event.payload.remoteId === "BATCH-2")[0].payload.companyCreated,
          true,
        );
      });

      await t.step("a replay skips the created rows and fails the bad ones again", async () => {
        const response = await env.request("POST", "/external-sync/import", {
          as: USERS.std,
          body: { source: "RB" },
        });
        const body = await response.json();
        assert.deepEqual(
          { imported: body.imported, skipped: body.skipped, failed: body.failed },
          { imported: 0, skipped: 5, failed: 2 },
        );
        assert.equal((await failedRows("BATCH-4")).length, 2, "one FAILED row per attempt");
        assert.equal((await failedRows("BATCH-6")).length, 2);
      });

      await t.step(
        "a renamed company invalidates the cached details of its customers",
        async () => {
          const [first] = await sql`select id from customer where external_code = 'BATCH-1'`;
          const detail = await env.request("GET", `/customers/${first.id}`, { as: USERS.std });
          assert.equal((await detail.json()).company.companyName, "Company CO-1");
          await source.exec(
            `insert into rb_customer (remote_id, customer_name, company_name, company_ref_id,
            business_domain, updated_at) values ('BATCH-8', 'Customer BATCH-8', 'Renamed CO-1',
            'CO-1', ?, '2031-01-02 00:00:00')`,
            [GW],
          );
          const response = await env.request("POST", "/external-sync/import", {
            as: USERS.std,
            body: { source: "RB", remoteIds: ["BATCH-8"] },
          });
          assert.equal((await response.json()).imported, 1);
          const [company] = await sql`select company_name, version from company
          where source = 'RB' and source_ref_id = 'CO-1'`;
          assert.deepEqual({ ...company }, { company_name: "Renamed CO-1", version: 2 });
          const again = await env.request("GET", `/customers/${first.id}`, { as: USERS.std });
          assert.equal((await again.json()).company.companyName, "Renamed CO-1");
        },
      );

      await t.step(
        "createCustomerBatch answers per command: missing company, invalid body, repeated id",
        async () => {
          const inputs = [
            rbInput("DIRECT-1", { sourceRefId: "D-CO", companyName: "Direct Co" }),
            rbInput("DIRECT-2", { sourceRefId: "D-NONE" }),
            { ...rbInput("DIRECT-3", { sourceRefId: "D-CO" }), remark: "not a field" },
            rbInput("DIRECT-4", { sourceRefId: "D-CO" }),
            rbInput("DIRECT-1", { sourceRefId: "D-CO", companyName: "Direct Co" }),
          ];
          const outcomes = await createCustomerBatch(env.deps, {
            user: OPERATOR,
            inputs: inputs as never,
          });
          assert.deepEqual(outcomes.map((outcome) => outcome.status), [
            "CREATED",
            "FAILED",
            "FAILED",
            "CREATED",
            "REPLAYED",
          ]);
          assert.deepEqual(
            outcomes.map((outcome) => outcome.status === "FAILED" ? outcome.errorCode : null),
            [null, "COMPANY_NOT_FOUND", "VALIDATION_FAILED", null, null],
          );
          const first = outcomes[0] as { customerId: number };
          assert.equal((outcomes[4] as { customerId: number }).customerId, first.customerId);
          for (const remoteId of ["DIRECT-2", "DIRECT-3"]) {
            assert.equal((await failedRows(remoteId)).length, 1, remoteId);
          }
          assert.equal((await failedRows("DIRECT-1")).length, 0);
          assert.equal(
            (await sql`select 1 from company where source_ref_id = 'D-NONE'`).length,
            0,
          );
          const customers = await sql`select external_code, operation_uid from customer
            where external_code like 'DIRECT-%' order by external_code`;
          assert.deepEqual(customers.map((row) => row.external_code), ["DIRECT-1", "DIRECT-4"]);
          assert.ok(customers.every((row) => row.operation_uid === "U-BATCH"));
        },
      );
    } finally {
      await env.close();
      await source.drop();
    }
  },
);
