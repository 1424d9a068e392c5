import assert from "node:assert/strict";
import { TOTAL_CAP } from "../../src/application/customer/query_customers.ts";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

Deno.test(
  "a customer list counts matches exactly up to 1 000 and says when more match",
  async (t) => {
    const env = await startTestApp("customers_total_cap");
    try {
      const sql = env.deps.db.sql;
      const [company] = await sql<{ id: number }[]>`
      insert into company (company_code, company_name, source)
      values ('MN-CAP', 'Cap Co', 'MANUAL') returning id`;
      // Set-based: a thousand API calls would make this test slow for nothing.
      await sql`
      insert into customer (customer_code, customer_name, company_id, business_domain, status,
        source, operation_uid, operation_name)
      select 'CAP-' || n, case when n <= ${TOTAL_CAP + 5} then 'Capped ' else 'Exact ' end || n,
        ${company.id}, 'GENERAL_WAREHOUSING',
        case when n <= ${TOTAL_CAP} then 'ACTIVE' else 'PENDING' end, 'MANUAL', 'test', 'Test'
      from generate_series(1, ${TOTAL_CAP + 5 + 7}) as n`;
      const list = async (query: string) => {
        const response = await env.request("GET", `/customers${query}`, { as: USERS.std });
        assert.equal(response.status, 200, await response.clone().text());
        return await response.json();
      };

      await t.step("more matches than the cap: total is the cap, totalIsCapped true", async () => {
        const page = await list("?keyword=Capped&pageSize=20");
        assert.equal(page.total, TOTAL_CAP);
        assert.equal(page.totalIsCapped, true);
        assert.equal(page.items.length, 20);
      });

      await t.step("pages beyond the capped total still answer their items", async () => {
        const page = await list(`?keyword=Capped&pageSize=100&page=${TOTAL_CAP / 100 + 1}`);
        assert.equal(page.items.length, 5);
        assert.equal(page.totalIsCapped, true);
      });

      await t.step("fewer matches than the cap: total is exact, totalIsCapped false", async () => {
        const page = await list("?keyword=Exact");
        assert.equal(page.total, 7);
        assert.equal(page.totalIsCapped, false);
      });

      await t.step("exactly the cap is exact", async () => {
        const page = await list("?status=ACTIVE");
        assert.equal(page.total, TOTAL_CAP);
        assert.equal(page.totalIsCapped, false);
      });
    } finally {
      await env.close();
    }
  },
);
