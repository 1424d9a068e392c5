import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import { createTestMysqlDatabase } from "../support/mysql.ts";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

interface Item {
  remoteId: string;
  syncStatus: string;
  customerId?: number;
  errorCode?: string;
}
interface Summary {
  imported: number;
  skipped: number;
  failed: number;
  items: Item[];
}

const GOOD = {
  GENERAL_WAREHOUSING: ["RB-GW-0001", "RB-GW-0002", "RB-GW-0003"],
  COLD_CHAIN: ["RB-CC-0001", "RB-CC-0002", "RB-CC-0003"],
  BONDED_WAREHOUSING: ["RB-BW-0001", "RB-BW-0002"],
  CROSS_BORDER: ["RB-CB-0001", "RB-CB-0002"],
};
const BAD = ["RB-BAD-DOMAIN", "RB-BAD-NOCOMPANY", "RB-BAD-LONGNAME", "RB-BAD-REF"];
/** Fixture rows in keyset order (updated_at, remote_id). */
const ALL = [...Object.values(GOOD).flat(), ...BAD];

function byId(summary: Summary): Map<string, Item> {
  return new Map(summary.items.map((item) => [item.remoteId, item]));
}

Deno.test(
  "external sync imports RB rows per domain and records every outcome",
  async (t) => {
    const source = await createTestMysqlDatabase();
    const env = await startTestApp("external_sync", { env: { EXTERNAL_MYSQL_URL: source.url } });
    const sql = env.db.sql;
    const failedRows = async (remoteId: string) =>
      Number(
        (await sql`select count(*)::int as n from external_system_sync
        where remote_id = ${remoteId} and sync_status = 'FAILED'`)[0].n,
      );
    const importAs = async (user: typeof USERS[keyof typeof USERS], body: unknown) => {
      const response = await env.request("POST", "/external-sync/import", { as: user, body });
      return { response, body: await response.json() };
    };
    const firstCustomerIds = new Map<string, number>();
    try {
      await t.step(
        "a cold-chain user imports only cold-chain rows; others fail FORBIDDEN",
        async () => {
          const { response, body } = await importAs(USERS.cold, { source: "RB" });
          assert.equal(response.status, 200);
          const summary = body as Summary;
          assert.deepEqual(summary.items.map((item) => item.remoteId), ALL);
          assert.equal(summary.imported, 3);
          assert.equal(summary.skipped, 0);
          assert.equal(summary.failed, 11);
          const items = byId(summary);
          for (const remoteId of GOOD.COLD_CHAIN) {
            const item = items.get(remoteId)!;
            assert.equal(item.syncStatus, "SUCCESS");
            assert.equal(typeof item.customerId, "number");
            assert.equal(item.errorCode, undefined);
            firstCustomerIds.set(remoteId, item.customerId!);
          }
          const forbidden = [
            ...GOOD.GENERAL_WAREHOUSING,
            ...GOOD.BONDED_WAREHOUSING,
            ...GOOD.CROSS_BORDER,
            "RB-BAD-NOCOMPANY",
            "RB-BAD-REF",
          ];
          for (const remoteId of forbidden) {
            assert.deepEqual(items.get(remoteId), {
              remoteId,
              syncStatus: "FAILED",
              errorCode: "FORBIDDEN",
            });
          }
          assert.equal(items.get("RB-BAD-LONGNAME")!.errorCode, "VALIDATION_FAILED");
          assert.equal(items.get("RB-BAD-DOMAIN")!.errorCode, "VALIDATION_FAILED");

          const customers = await sql`select business_domain, source, external_code, customer_code,
        operation_uid from customer order by id`;
          assert.equal(customers.length, 3);
          assert.ok(customers.every((row) => row.business_domain === "COLD_CHAIN"));
          assert.ok(
            customers.every((row) => row.source === "RB" && row.operation_uid === "U-COLD"),
          );
          assert.deepEqual(customers.map((row) => row.external_code).sort(), GOOD.COLD_CHAIN);
          assert.equal(
            customers.find((row) => row.external_code === "RB-CC-0001")!.customer_code,
            "RB-RB-CC-0001",
          );
          for (const remoteId of [...forbidden, "RB-BAD-LONGNAME", "RB-BAD-DOMAIN"]) {
            assert.equal(await failedRows(remoteId), 1, `exactly one FAILED row for ${remoteId}`);
          }
          const [forbiddenRow] = await sql`select * from external_system_sync
        where remote_id = 'RB-BW-0001'`;
          assert.equal(forbiddenRow.error_code, "FORBIDDEN");
          assert.equal(forbiddenRow.business_domain, "BONDED_WAREHOUSING");
          assert.equal(forbiddenRow.entity_id, null);
          assert.equal(forbiddenRow.operation_uid, "U-COLD");
          assert.equal(forbiddenRow.trace_id, response.headers.get("x-trace-id"));
          const metrics = await env.deps.metrics.render();
          assert.match(metrics, /external_sync_records_total\{source="RB",status="SUCCESS"\} 3\b/);
          assert.match(metrics, /external_sync_records_total\{source="RB",status="FAILED"\} 11\b/);
        },
      );

      await t.step(
        "an admin imports the good rows, skips imported ones and records bad rows",
        async () => {
          const { response, body } = await importAs(USERS.admin, { source: "RB" });
          assert.equal(response.status, 200);
          const summary = body as Summary;
          assert.equal(summary.imported, 7);
          assert.equal(summary.skipped, 3);
          assert.equal(summary.failed, 4);
          assert.equal(summary.items.length, 14);
          const items = byId(summary);
          for (const remoteId of GOOD.COLD_CHAIN) {
            assert.deepEqual(items.get(remoteId), {
              remoteId,
              syncStatus: "SUCCESS",
              customerId: firstCustomerIds.get(remoteId),
            });
          }
          for (const remoteId of BAD) {
            assert.deepEqual(items.get(remoteId), {
              remoteId,
              syncStatus: "FAILED",
              // No company name and no reference: the company must exist and cannot be found.
              errorCode: remoteId === "RB-BAD-NOCOMPANY"
                ? "COMPANY_NOT_FOUND"
                : "VALIDATION_FAILED",
            });
          }
          const [row] = await sql`select * from external_system_sync
        where remote_id = 'RB-GW-0002' and sync_status = 'SUCCESS'`;
          assert.equal(row.entity_id, items.get("RB-GW-0002")!.customerId);
          assert.equal(row.business_domain, "GENERAL_WAREHOUSING");
          assert.equal(row.trace_id, response.headers.get("x-trace-id"));
          const companies = await sql`select company_name, source, source_ref_id from company
        where source_ref_id = 'RBC-1001'`;
          assert.deepEqual(companies.map((company) => ({ ...company })), [
            { company_name: "上海仓储物流有限公司", source: "RB", source_ref_id: "RBC-1001" },
          ]);
          const [longName] = await sql`select error_message from external_system_sync
        where remote_id = 'RB-BAD-LONGNAME' order by id desc limit 1`;
          assert.match(longName.error_message, /customerName/);
        },
      );

      await t.step("a second run imports nothing and skips every imported row", async () => {
        const before = await sql`select count(*)::int as n from customer`;
        const successes = await sql`select count(*)::int as n from external_system_sync
        where sync_status = 'SUCCESS'`;
        const { response, body } = await importAs(USERS.admin, { source: "RB" });
        assert.equal(response.status, 200);
        assert.equal(body.imported, 0);
        assert.equal(body.skipped, 10);
        assert.equal(body.failed, 4);
        assert.ok(
          (body as Summary).items.every((item) =>
            item.syncStatus === "SUCCESS"
              ? item.customerId !== undefined
              : BAD.includes(item.remoteId)
          ),
        );
        assert.deepEqual(await sql`select count(*)::int as n from customer`, before);
        assert.deepEqual(
          await sql`select count(*)::int as n from external_system_sync
          where sync_status = 'SUCCESS'`,
          successes,
        );
      });

      await t.step(
        "a row imported before in a domain the user lacks fails FORBIDDEN, not skipped",
        async () => {
          const { response, body } = await importAs(USERS.cold, {
            source: "RB",
            remoteIds: ["RB-GW-0001", "RB-CC-0001"],
          });
          assert.equal(response.status, 200);
          assert.deepEqual(body, {
            imported: 0,
            skipped: 1,
            failed: 1,
            items: [
              { remoteId: "RB-GW-0001", syncStatus: "FAILED", errorCode: "FORBIDDEN" },
              {
                remoteId: "RB-CC-0001",
                syncStatus: "SUCCESS",
                customerId: firstCustomerIds.get("RB-CC-0001"),
              },
            ],
          });
          const [row] = await sql`select error_code, operation_uid from external_system_sync
          where remote_id = 'RB-GW-0001' and sync_status = 'FAILED' order by id desc limit 1`;
          assert.deepEqual({ ...row }, { error_code: "FORBIDDEN", operation_uid: "U-COLD" });
        },
      );

      await t.step("remoteIds imports only the named rows and reports unknown ids", async () => {
        await source.exec(`insert into rb_customer (remote_id, customer_name, company_name,
        company_ref_id, business_domain, updated_at) values
        ('RB-NEW-1', 'New One', 'New Co', 'RBC-5001', 'GENERAL_WAREHOUSING', '2030-01-01 00:00:00'),
        ('RB-NEW-2', 'New Two', 'New Co', 'RBC-5001', 'GENERAL_WAREHOUSING', '2030-01-02 00:00:00')`);
        const { response, body } = await importAs(USERS.std, {
          source: "RB",
          remoteIds: ["RB-NEW-1", "RB-GW-0001", "RB-MISSING"],
        });
        assert.equal(response.status, 200);
        assert.equal(body.imported, 1);
        assert.equal(body.skipped, 1);
        assert.equal(body.failed, 1);
        const items = byId(body);
        assert.equal(items.get("RB-NEW-1")!.syncStatus, "SUCCESS");
        assert.equal(items.get("RB-GW-0001")!.syncStatus, "SUCCESS");
        assert.deepEqual(items.get("RB-MISSING"), {
          remoteId: "RB-MISSING",
          syncStatus: "FAILED",
          errorCode: "NOT_FOUND",
        });
        assert.equal(items.has("RB-NEW-2"), false);
        assert.equal(
          (await sql`select 1 from customer where external_code = 'RB-NEW-2'`).length,
          0,
        );
      });

      await t.step("updatedSince imports only rows changed at or after the instant", async () => {
        const { response, body } = await importAs(USERS.std, {
          source: "RB",
          updatedSince: "2030-01-01T19:00:00-05:00",
        });
        assert.equal(response.status, 200);
        assert.deepEqual(body.items.map((item: Item) => item.remoteId), ["RB-NEW-2"]);
        assert.equal(body.imported, 1);
        const early = await importAs(USERS.std, {
          source: "RB",
          updatedSince: "2030-01-01T00:00:00Z",
        });
        assert.deepEqual(early.body, {
          imported: 0,
          skipped: 2,
          failed: 0,
          items: early.body.items,
        });
      });

      await t.step("the request is validated strictly", async () => {
        const cases: [unknown, string][] = [
          [{ source: "ERP" }, "source"],
          [{ source: "MANUAL" }, "source"],
          [{}, "source"],
          [{ source: "RB", remoteIds: [] }, "remoteIds"],
          [{ source: "RB", remoteIds: ["A", "A"] }, "remoteIds"],
          [{ source: "RB", remoteIds: ["x".repeat(65)] }, "remoteIds.0"],
          [
            { source: "RB", remoteIds: Array.from({ length: 1001 }, (_, i) => `R${i}`) },
            "remoteIds",
          ],
          [{ source: "RB", updatedSince: "yesterday" }, "updatedSince"],
          [{ source: "RB", limit: 5 }, "limit"],
        ];
        for (const [requestBody, path] of cases) {
          const { response, body } = await importAs(USERS.admin, requestBody);
          assert.equal(response.status, 400, JSON.stringify(requestBody));
          assert.equal(body.code, "VALIDATION_FAILED");
          assert.ok(
            body.errors.some((error: { path: string }) => error.path === path),
            `${JSON.stringify(body.errors)} names ${path}`,
          );
        }
        assert.equal((await importAs(USERS.nobody, { source: "RB" })).response.status, 403);
        const anonymous = await env.request("POST", "/external-sync/import", {
          body: { source: "RB" },
        });
        assert.equal(anonymous.status, 401);
      });

      await t.step("more than 1000 matching rows is a 400 pointing to the CLI", async () => {
        await source.generate(1001);
        const before = await sql`select count(*)::int as n from external_system_sync`;
        const { response, body } = await importAs(USERS.admin, { source: "RB" });
        assert.equal(response.status, 400);
        assert.equal(body.code, "VALIDATION_FAILED");
        assert.match(body.detail, /sync-external/);
        assert.equal(body.errors[0].path, "updatedSince");
        assert.deepEqual(await sql`select count(*)::int as n from external_system_sync`, before);
      });

      await t.step("without EXTERNAL_MYSQL_URL the import answers 503", async () => {
        const app = createApp({ ...env.deps, mysql: undefined });
        const { signTestToken } = await import("../support/tokens.ts");
        const response = await app.request("/external-sync/import", {
          method: "POST",
          headers: {
            authorization: `Bearer ${await signTestToken(USERS.admin)}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({ source: "RB" }),
        });
        assert.equal(response.status, 503);
        assert.equal(response.headers.get("content-type"), "application/problem+json");
        assert.equal((await response.json()).code, "EXTERNAL_SOURCE_NOT_CONFIGURED");
      });

      await t.step("GET /external-sync filters records, newest first", async () => {
        const response = await env.request(
          "GET",
          "/external-sync?remoteId=RB-BAD-REF&syncStatus=FAILED&source=RB&entityType=CUSTOMER",
          { as: USERS.admin },
        );
        assert.equal(response.status, 200);
        const page = await response.json();
        assert.equal(page.total, 3, "one FAILED row per attempt: cold, admin, admin again");
        assert.equal(page.page, 1);
        assert.equal(page.pageSize, 20);
        const ids = page.items.map((item: { id: number }) => item.id);
        assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
        assert.deepEqual(Object.keys(page.items[0]).sort(), [
          "businessDomain",
          "entityId",
          "entityType",
          "errorCode",
          "errorMessage",
          "id",
          "operationUid",
          "remoteId",
          "source",
          "syncStatus",
          "syncedAt",
          "traceId",
        ]);
        assert.equal(page.items[0].errorCode, "VALIDATION_FAILED");
        assert.equal(page.items[2].errorCode, "FORBIDDEN");
        assert.equal(page.items[2].operationUid, "U-COLD");
        assert.match(page.items[0].syncedAt, /^\d{4}-\d{2}-\d{2}T.*Z$/);

        const customerId = firstCustomerIds.get("RB-CC-0001")!;
        const byEntity = await (await env.request(
          "GET",
          `/external-sync?entityType=CUSTOMER&entityId=${customerId}`,
          { as: USERS.cold },
        )).json();
        assert.equal(byEntity.total, 1);
        assert.equal(byEntity.items[0].remoteId, "RB-CC-0001");
        assert.equal(byEntity.items[0].syncStatus, "SUCCESS");
        assert.equal(byEntity.items[0].errorCode, null);

        const paged = await (await env.request(
          "GET",
          "/external-sync?syncStatus=SUCCESS&page=2&pageSize=5",
          { as: USERS.admin },
        )).json();
        assert.equal(paged.total, 12, "3 cold + 7 admin + RB-NEW-1 + RB-NEW-2");
        assert.equal(paged.items.length, 5);
        const past = await (await env.request("GET", "/external-sync?page=99", { as: USERS.admin }))
          .json();
        assert.deepEqual(past.items, []);
        assert.ok(past.total > 0);
      });

      await t.step("GET /external-sync shows only the user's domains", async () => {
        const all = async (user: typeof USERS[keyof typeof USERS]) => {
          const response = await env.request("GET", "/external-sync?pageSize=100", { as: user });
          assert.equal(response.status, 200);
          return (await response.json()).items as { businessDomain: string | null }[];
        };
        const cold = await all(USERS.cold);
        assert.ok(cold.length > 0);
        assert.ok(cold.every((item) => item.businessDomain === "COLD_CHAIN"));
        const std = await all(USERS.std);
        assert.ok(std.every((item) => item.businessDomain === "GENERAL_WAREHOUSING"));
        const admin = await all(USERS.admin);
        assert.ok(admin.some((item) => item.businessDomain === "SPACE_LOGISTICS"));
        assert.ok(admin.some((item) => item.businessDomain === null));
        const unknown = await env.request("GET", "/external-sync?remoteId=RB-BAD-DOMAIN", {
          as: USERS.std,
        });
        assert.equal((await unknown.json()).total, 0);
        assert.equal(
          (await env.request("GET", "/external-sync", { as: USERS.nobody })).status,
          403,
        );
      });

      await t.step("GET /external-sync rejects unknown or invalid query fields", async () => {
        for (
          const query of ["foo=1", "syncStatus=SKIPPED", "pageSize=101", "page=0", "entityId=x"]
        ) {
          const response = await env.request("GET", `/external-sync?${query}`, { as: USERS.admin });
          assert.equal(response.status, 400, query);
          assert.equal((await response.json()).code, "VALIDATION_FAILED");
        }
      });
    } finally {
      await env.close();
      await source.drop();
    }
  },
);
