import assert from "node:assert/strict";
import { createTestMysqlDatabase } from "../support/mysql.ts";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

interface Company {
  companyName: string;
  unifiedSocialCreditCode: string | null;
  address: string | null;
  contactName: string | null;
  contactPhone: string | null;
}

Deno.test(
  "imports fill company fields from rb_company when its row exists",
  async (t) => {
    const source = await createTestMysqlDatabase();
    const env = await startTestApp("external_sync_company", {
      env: { EXTERNAL_MYSQL_URL: source.url },
    });
    const importRows = async (remoteIds: string[]) => {
      const response = await env.request("POST", "/external-sync/import", {
        as: USERS.admin,
        body: { source: "RB", remoteIds },
      });
      assert.equal(response.status, 200);
      const summary = await response.json();
      return new Map<string, number>(
        summary.items.map((item: { remoteId: string; customerId: number }) => [
          item.remoteId,
          item.customerId,
        ]),
      );
    };
    const companyOf = async (customerId: number): Promise<Company> => {
      const response = await env.request("GET", `/customers/${customerId}`, { as: USERS.admin });
      assert.equal(response.status, 200);
      return (await response.json()).company;
    };
    try {
      await t.step(
        "a company with an rb_company row gets its code, address and contact",
        async () => {
          const ids = await importRows(["RB-GW-0001", "RB-CC-0003"]);
          const company = await companyOf(ids.get("RB-GW-0001")!);
          assert.equal(company.companyName, "上海仓储物流有限公司");
          assert.equal(company.unifiedSocialCreditCode, "91310000MA1FL10011");
          assert.equal(company.address, "上海市浦东新区物流大道 1 号");
          assert.equal(company.contactName, "钱经理");
          assert.equal(company.contactPhone, "021-60000001");
          const [row] = await env.db.sql<{ unified_social_credit_code: string }[]>`
        select unified_social_credit_code from company
        where source = 'RB' and source_ref_id = 'RBC-1001'`;
          assert.equal(row.unified_social_credit_code, "91310000MA1FL10011");

          // RBC-2002 has no rb_company row: the customer row's company name only.
          const bare = await companyOf(ids.get("RB-CC-0003")!);
          assert.equal(bare.companyName, "医药冷链股份公司");
          assert.equal(bare.unifiedSocialCreditCode, null);
          assert.equal(bare.address, null);
        },
      );

      await t.step(
        "a later import brings changed rb_company fields through the upsert",
        async () => {
          await source.exec(
            "update rb_company set address = '上海市浦东新区物流大道 99 号' where company_ref_id = 'RBC-1001'",
          );
          const ids = await importRows(["RB-GW-0002"]);
          const company = await companyOf(ids.get("RB-GW-0002")!);
          assert.equal(company.address, "上海市浦东新区物流大道 99 号");
          assert.equal(company.unifiedSocialCreditCode, "91310000MA1FL10011");
        },
      );
    } finally {
      await env.close();
      await source.drop();
    }
  },
);
