import assert from "node:assert/strict";
import { isValidUnifiedSocialCreditCode } from "../../src/domain/customer/unified_social_credit_code.ts";
import { createReadOnlyMysqlPool } from "../../src/infrastructure/mysql/pool.ts";
import { createRBCompanyGateway } from "../../src/infrastructure/mysql/rb_company_gateway.ts";
import { createTestMysqlDatabase } from "../support/mysql.ts";

Deno.test("RBCompanyGateway reads rb_company rows by reference id", async (t) => {
  const source = await createTestMysqlDatabase();
  const pool = createReadOnlyMysqlPool(source.url, { connectionLimit: 2 });
  const gateway = createRBCompanyGateway(pool);
  try {
    await t.step("existing rows come back by id; unknown ids are left out", async () => {
      const found = await gateway.findByRefIds(["RBC-1001", "RBC-2002", "RBC-1002", "RBC-1001"]);
      assert.deepEqual([...found.keys()].sort(), ["RBC-1001", "RBC-1002"]);
      assert.deepEqual(found.get("RBC-1001"), {
        companyRefId: "RBC-1001",
        companyName: "上海仓储物流有限公司",
        unifiedSocialCreditCode: "91310000MA1FL10011",
        address: "上海市浦东新区物流大道 1 号",
        contactName: "钱经理",
        contactPhone: "021-60000001",
      });
      assert.equal(found.get("RBC-1002")?.contactName, null);
      assert.equal((await gateway.findByRefIds([])).size, 0);
    });

    await t.step("it exposes reads only", () => {
      assert.deepEqual(Object.keys(gateway), ["findByRefIds"]);
    });

    await t.step("generated source rows get a company row with a valid credit code", async () => {
      await source.generate(3, "CO-");
      const found = await gateway.findByRefIds(["GENC-0", "GENC-1", "GENC-2"]);
      assert.equal(found.size, 3);
      for (const company of found.values()) {
        assert.ok(isValidUnifiedSocialCreditCode(company.unifiedSocialCreditCode ?? ""));
      }
    });

    await t.step("a source without rb_company answers no rows instead of failing", async () => {
      await source.exec("drop table rb_company");
      assert.equal((await gateway.findByRefIds(["RBC-1001"])).size, 0);
    });
  } finally {
    await pool.end();
    await source.drop();
  }
});
