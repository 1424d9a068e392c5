import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createDependencies } from "../../src/dependencies.ts";
import { migrate } from "../../src/infrastructure/postgres/migrator.ts";
import { signTestToken, TEST_SECRET, USERS } from "../support/tokens.ts";

Deno.test(
  "on the embedded database cursors walk and an open export does not stall other requests",
  async (t) => {
    const config = loadConfig({
      APP_ENV: "test",
      LOG_LEVEL: "error",
      PGLITE_DIR: "memory://",
      JWT_SECRET: TEST_SECRET,
    });
    const deps = await createDependencies(config);
    const app = createApp(deps);
    const headers = { authorization: `Bearer ${await signTestToken(USERS.admin)}` };
    const get = async (path: string) => await app.request(path, { headers });
    try {
      assert.equal(deps.db.kind, "embedded");
      const sql = deps.db.sql;
      await migrate(sql);
      const [company] = await sql<{ id: number }[]>`
        insert into company (company_code, company_name, source)
        values ('MN-EMB', 'Embedded Co', 'MANUAL') returning id`;
      await sql`
        insert into customer (customer_code, customer_name, company_id, business_domain, status,
          source, operation_uid, operation_name)
        select 'EMB-' || n, 'Embedded ' || (n % 4), ${company.id}, 'GENERAL_WAREHOUSING',
          'ACTIVE', 'MANUAL', 'test', 'Test'
        from generate_series(1, 1200) as n`;

      await t.step("cursor walks list every customer once", async () => {
        for (const sort of ["-createdAt", "customerName", "customerCode"]) {
          const ids: number[] = [];
          let path = `/customers?sort=${sort}&pageSize=100`;
          for (;;) {
            const response = await get(path);
            assert.equal(response.status, 200);
            const body = await response.json();
            ids.push(...body.items.map((item: { id: number }) => item.id));
            if (!body.nextCursor) break;
            path = `/customers?sort=${sort}&pageSize=100&cursor=${body.nextCursor}`;
          }
          assert.equal(ids.length, 1200, sort);
          assert.equal(new Set(ids).size, 1200, sort);
        }
      });

      await t.step("keyword search answers what ILIKE answers, on PGlite too", async () => {
        // Prefix ranges, infix trigrams, generic plans and the byte-order sort (ADR 0116) run on
        // Postgres 17 in WebAssembly as well.
        const orders = {
          "-createdAt": "created_at desc, id desc",
          customerName: "customer_name, id",
          customerCode: "customer_code, id",
        };
        for (const keyword of ["embedded 3", "EMB-11", "mbedded", "b-10"]) {
          const pattern = `%${keyword}%`;
          for (const [sort, order] of Object.entries(orders)) {
            const response = await get(
              `/customers?keyword=${encodeURIComponent(keyword)}&sort=${sort}&pageSize=20`,
            );
            assert.equal(response.status, 200);
            const body = await response.json();
            const expected = await sql<{ id: number; total: number }[]>`
              select id, count(*) over ()::int as total from customer
              where customer_name ilike ${pattern} or customer_code ilike ${pattern}
              order by ${sql.unsafe(order)} limit 20`;
            const label = `${keyword} ${sort}`;
            assert.ok(expected.length > 0, label);
            assert.deepEqual(
              body.items.map((item: { id: number }) => item.id),
              expected.map((row) => Number(row.id)),
              label,
            );
            assert.equal(body.total, Math.min(expected[0].total, 1000), label);
          }
        }
      });

      await t.step("a paused export leaves the one connection to other requests", async () => {
        const exported = await get("/customers/export");
        assert.equal(exported.status, 200);
        const reader = exported.body!.getReader();
        const header = new TextDecoder("utf-8", { ignoreBOM: true }).decode(
          (await reader.read()).value,
        );
        assert.ok(header.startsWith("\uFEFFid,customerCode,"));
        const list = await Promise.race([
          get("/customers?pageSize=1").then((response) => response.status),
          new Promise((resolve) => setTimeout(() => resolve("stalled"), 5_000)),
        ]);
        assert.equal(list, 200);
        let text = "";
        const decoder = new TextDecoder();
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
          text += decoder.decode(chunk.value, { stream: true });
        }
        assert.equal(text.split("\r\n").filter(Boolean).length, 1200);
      });
    } finally {
      await deps.close();
    }
  },
);
