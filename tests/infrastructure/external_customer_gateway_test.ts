import assert from "node:assert/strict";
import { createExternalCustomerGateway } from "../../src/infrastructure/mysql/external_customer_gateway.ts";
import { createReadOnlyMysqlPool } from "../../src/infrastructure/mysql/pool.ts";
import { createTestMysqlDatabase } from "../support/mysql.ts";

Deno.test(
  "ExternalCustomerGateway reads rb_customer and can never write",
  async (t) => {
    const source = await createTestMysqlDatabase();
    const pool = createReadOnlyMysqlPool(source.url, { connectionLimit: 2 });
    const gateway = createExternalCustomerGateway(pool);
    try {
      await t.step("reads rows by remote id, ignoring unknown ids", async () => {
        const rows = await gateway.list({ remoteIds: ["RB-CC-0002", "RB-GW-0001", "NOPE"] });
        assert.deepEqual(rows.map((row) => row.remoteId), ["RB-GW-0001", "RB-CC-0002"]);
        assert.deepEqual(rows[0], {
          remoteId: "RB-GW-0001",
          customerName: "上海通用仓储客户一",
          companyName: "上海仓储物流有限公司",
          companyRefId: "RBC-1001",
          businessDomain: "GENERAL_WAREHOUSING",
          contactName: "张三",
          contactPhone: "13800000001",
          updatedAt: "2024-01-01 08:00:00.000000",
        });
        assert.equal(await gateway.count({ remoteIds: ["RB-CC-0002", "RB-GW-0001", "NOPE"] }), 2);
      });

      await t.step("reads rows changed since an instant (inclusive, UTC)", async () => {
        const since = new Date("2024-03-03T08:00:00Z");
        const rows = await gateway.list({ updatedSince: since });
        assert.deepEqual(rows.map((row) => row.remoteId), [
          "RB-BAD-DOMAIN",
          "RB-BAD-NOCOMPANY",
          "RB-BAD-LONGNAME",
          "RB-BAD-REF",
        ]);
        assert.equal(await gateway.count({ updatedSince: since }), 4);
        assert.equal((await gateway.list({ updatedSince: since }, { limit: 3 })).length, 3);
      });

      await t.step("streams every row once in keyset order, across equal timestamps", async () => {
        await source.generate(45);
        // Many rows sharing one updated_at: the remote id breaks the tie across page borders.
        await source.exec(
          "update rb_customer set updated_at = '2025-06-01 00:00:00' where remote_id like 'GEN-%' and remote_id < 'GEN-00000030'",
        );
        const seen: string[] = [];
        let pages = 0;
        for await (const page of gateway.pages({}, { pageSize: 7 })) {
          assert.ok(page.length <= 7);
          pages++;
          seen.push(...page.map((row) => row.remoteId));
        }
        assert.equal(seen.length, 14 + 45);
        assert.equal(new Set(seen).size, seen.length);
        assert.equal(pages, Math.ceil(59 / 7));
        assert.equal(await gateway.count({}), 59);
        const tied = seen.filter((id) => id.startsWith("GEN-") && id < "GEN-00000030");
        assert.deepEqual(tied, [...tied].sort());
        assert.deepEqual(seen.slice(-29), tied);
      });

      await t.step("a write through the gateway's pool is refused by MySQL", async () => {
        await assert.rejects(
          pool.query("insert into rb_customer (remote_id, customer_name) values ('X', 'x')"),
          (error: { code?: string; errno?: number }) =>
            error.code === "ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION" && error.errno === 1792,
        );
        await assert.rejects(
          pool.query("update rb_customer set customer_name = 'changed'"),
          (error: { errno?: number }) => error.errno === 1792,
        );
        assert.equal(await gateway.count({ remoteIds: ["X"] }), 0);
        const [name] = await gateway.list({ remoteIds: ["RB-GW-0001"] });
        assert.equal(name.customerName, "上海通用仓储客户一");
        assert.deepEqual(
          Object.keys(gateway).sort(),
          ["count", "list", "pages"],
          "the gateway exposes reads only",
        );
      });
    } finally {
      await pool.end();
      await source.drop();
    }
  },
);
