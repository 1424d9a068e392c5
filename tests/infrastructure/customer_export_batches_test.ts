import assert from "node:assert/strict";
import type { CustomerBatches } from "../../src/domain/customer/customer.ts";
import {
  type CustomerFilter,
  type CustomerSort,
  keysetCustomerBatches,
  openCustomerBatches,
  queryCustomerPage,
} from "../../src/infrastructure/postgres/customer_list_repository.ts";
import { startTestApp } from "../support/test_app.ts";
import { TRICKY_NAMES } from "../support/tricky_names.ts";

async function drain(batches: CustomerBatches, between?: () => Promise<void>) {
  const ids: number[] = [];
  for (let batch = await batches.next(); batch; batch = await batches.next()) {
    assert.ok(batch.length > 0 && batch.length <= 7);
    ids.push(...batch.map((customer) => customer.id));
    await between?.();
  }
  await batches.close();
  return ids;
}

Deno.test(
  "export batches from a cursor or by keyset list the rows of the list in its order",
  async (t) => {
    const env = await startTestApp("customer_export_batches");
    try {
      const sql = env.deps.db.sql;
      const [company] = await sql<{ id: number }[]>`
        insert into company (company_code, company_name, source)
        values ('MN-EB', 'Export Co', 'MANUAL') returning id`;
      await sql`
        insert into customer (customer_code, customer_name, company_id, business_domain, status,
          source, operation_uid, operation_name, created_at)
        select 'EB-' || lpad(n::text, 3, '0'),
          (${TRICKY_NAMES}::text[])[1 + n % ${TRICKY_NAMES.length}], ${company.id},
          case when n % 2 = 0 then 'COLD_CHAIN' else 'GENERAL_WAREHOUSING' end, 'ACTIVE',
          'MANUAL', 'test', 'Test',
          timestamptz '2026-01-01 00:00:00+00' + (n / 3) * interval '1 microsecond'
        from generate_series(1, 50) as n`;
      const sorts: CustomerSort[] = [
        { field: "createdAt", direction: "desc" },
        { field: "customerName", direction: "asc" },
        { field: "customerCode", direction: "desc" },
      ];
      const filters: CustomerFilter[] = [
        { domains: ["GENERAL_WAREHOUSING", "COLD_CHAIN"] },
        { domains: ["COLD_CHAIN"] },
        { domains: ["GENERAL_WAREHOUSING", "COLD_CHAIN"], keyword: "harbor" },
      ];
      for (const sort of sorts) {
        for (const filter of filters) {
          await t.step(`${sort.direction} ${sort.field} ${JSON.stringify(filter)}`, async () => {
            const { items } = await queryCustomerPage(sql, filter, { sort, limit: 100, offset: 0 });
            const expected = items.map((customer) => customer.id);
            assert.ok(expected.length > 0);
            assert.deepEqual(
              await drain(await openCustomerBatches(sql, filter, sort, 7)),
              expected,
            );
            assert.deepEqual(await drain(keysetCustomerBatches(sql, filter, sort, 7)), expected);
          });
        }
      }

      await t.step("keyset batches with inserts meanwhile repeat and skip nothing", async () => {
        const filter = { domains: ["GENERAL_WAREHOUSING", "COLD_CHAIN"] };
        const sort: CustomerSort = { field: "customerName", direction: "asc" };
        const before = (await sql<{ id: number }[]>`select id from customer`).map((r) => r.id);
        let n = 0;
        const ids = await drain(keysetCustomerBatches(sql, filter, sort, 7), async () => {
          n++;
          await sql`
            insert into customer (customer_code, customer_name, company_id, business_domain,
              status, source, operation_uid, operation_name)
            values (${`EB-A${n}`}, ${"AAA " + n}, ${company.id}, 'COLD_CHAIN', 'ACTIVE',
              'MANUAL', 'test', 'Test'), (${`EB-Z${n}`}, ${"MIXED CASE HARBOR"}, ${company.id},
              'COLD_CHAIN', 'ACTIVE', 'MANUAL', 'test', 'Test')`;
        });
        assert.equal(new Set(ids).size, ids.length);
        const seen = new Set(ids);
        assert.deepEqual(before.filter((id) => !seen.has(id)), []);
      });

      await t.step("a cursor closed mid-way gives its connection back", async () => {
        for (let i = 0; i < 8; i++) {
          const batches = await openCustomerBatches(sql, filters[0], sorts[0], 7);
          assert.equal((await batches.next())?.length, 7);
          await batches.close();
          assert.equal(await batches.next(), null);
        }
        // The pool has 5 connections: eight unreturned cursors would hang here.
        const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from customer`;
        assert.ok(n > 50);
      });

      await t.step("a byte budget fetches wide rows fewer at a time", async () => {
        const sort: CustomerSort = { field: "customerCode", direction: "asc" };
        const sizes: number[] = [];
        const budget = { bytes: 8 * 1024, minRows: 2, maxRows: 20 };
        await sql`update customer set remark = repeat('备注', 1000) where customer_code >= 'EB-025'`;
        try {
          for (
            const batches of [
              await openCustomerBatches(sql, filters[0], sort, budget),
              keysetCustomerBatches(sql, filters[0], sort, budget),
            ]
          ) {
            const ids: number[] = [];
            for (let batch = await batches.next(); batch; batch = await batches.next()) {
              sizes.push(batch.length);
              ids.push(...batch.map((customer) => customer.id));
            }
            await batches.close();
            const { items } = await queryCustomerPage(sql, filters[0], {
              sort,
              limit: 1000,
              offset: 0,
            });
            assert.deepEqual(ids, items.map((customer) => customer.id));
            assert.equal(sizes[0], 2);
            assert.ok(sizes.includes(20), `narrow rows fill the row cap: ${sizes}`);
            assert.equal(sizes.at(-2), 2, `wide rows at the end shrink it: ${sizes}`);
            sizes.length = 0;
          }
        } finally {
          await sql`update customer set remark = null`;
        }
      });
    } finally {
      await env.close();
    }
  },
);
