import assert from "node:assert/strict";
import { openPool } from "../../src/infrastructure/postgres/database.ts";
import { startEmbeddedPostgres } from "../../src/infrastructure/postgres/embedded_postgres.ts";
import { migrate } from "../../src/infrastructure/postgres/migrator.ts";
import { searchCustomers } from "../../src/infrastructure/postgres/customer_list_repository.ts";

Deno.test(
  "the embedded Postgres starts, migrates and serves trigram search",
  async () => {
    const embedded = await startEmbeddedPostgres("memory://");
    const sql = openPool(embedded.url, { max: 1, connectTimeoutSeconds: 10 });
    try {
      assert.ok((await migrate(sql)).length > 0);
      assert.deepEqual(await migrate(sql), []);
      const [company] = await sql`
      insert into company (company_code, company_name, source) values ('C1', 'Co', 'MANUAL')
      returning id`;
      await sql`
      insert into customer (customer_code, customer_name, company_id, business_domain, source,
        operation_uid, operation_name)
      values ('MN-00000001', 'Shanghai Frozen Foods', ${company.id}, 'COLD_CHAIN', 'MANUAL', 'u', 'n')`;
      const rows =
        await sql`select customer_code from customer where customer_name ilike ${"%FROZEN%"}`;
      assert.deepEqual(rows.map((row) => row.customer_code), ["MN-00000001"]);
      const [{ similarity }] = await sql`select similarity('frozen', 'frozen foods') as similarity`;
      assert.ok(similarity > 0);
      // Every plan of the keyword search (ADR 0069) runs on Postgres 17 as well: the estimate,
      // the grams index (bigrams, digit windows), the covering walks.
      for (
        const [keyword, plan] of [["FROZEN", {}], ["sh", {}], ["00000001", {}], ["Foods", {
          denseMatches: -1,
        }]] as const
      ) {
        const found = await searchCustomers(sql, { domains: ["COLD_CHAIN"], keyword }, {
          sort: { field: "customerName", direction: "asc" },
          limit: 20,
          offset: 0,
        }, { cap: 1000, ...plan });
        assert.deepEqual(found.items.map((item) => item.customerCode), ["MN-00000001"], keyword);
        assert.equal(found.total, 1, keyword);
      }
    } finally {
      await sql.end({ timeout: 5 });
      await embedded.stop();
    }
  },
);

Deno.test("the embedded Postgres persists under a data directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pglite-" });
  try {
    let embedded = await startEmbeddedPostgres(dir);
    let sql = openPool(embedded.url, { max: 1, connectTimeoutSeconds: 10 });
    await migrate(sql);
    await sql`update business_domain set name = 'Persisted' where code = 'COLD_CHAIN'`;
    await sql.end({ timeout: 5 });
    await embedded.stop();
    embedded = await startEmbeddedPostgres(dir);
    sql = openPool(embedded.url, { max: 1, connectTimeoutSeconds: 10 });
    assert.deepEqual(await migrate(sql), []);
    const [row] = await sql`select name from business_domain where code = 'COLD_CHAIN'`;
    assert.equal(row.name, "Persisted");
    await sql.end({ timeout: 5 });
    await embedded.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
