import assert from "node:assert/strict";
import postgres from "postgres";
import {
  type CustomerFilter,
  type CustomerPageStart,
  type CustomerSearchOptions,
  type CustomerSort,
  queryCustomerPage,
  searchCustomers,
} from "../../src/infrastructure/postgres/customer_list_repository.ts";
import type { Sql } from "../../src/infrastructure/postgres/database.ts";
import type { ListPosition } from "../../src/shared/list_cursor.ts";
import { createTestDatabase } from "../support/database.ts";

// ADR 0143: a `createdAt` page of a keyword search reads its matches day by day of creation from
// the grams index's day tokens. The fixture spreads customers over days with gaps, ties on
// `created_at`, two domains, and a newest day of other names only (an import), so the days are
// read one, two, four... at a time past that head.

const SORTS: CustomerSort[] = [
  { field: "createdAt", direction: "desc" },
  { field: "createdAt", direction: "asc" },
];

/**
 * The days plan at once (the dense plan walks whenever more than `cap` match; no walk of the sort
 * order first), reading every day it needs.
 */
const BY_DAY: CustomerSearchOptions = {
  cap: 1,
  denseMatches: -1,
  dayHeadWalk: 0,
  walkBudget: () => 1e9,
};
/** The days plan giving up after its first statement: the plans after it must answer the same. */
const BY_DAY_GIVING_UP: CustomerSearchOptions = { ...BY_DAY, dayRowsRead: 1 };

async function insertDays(sql: Sql): Promise<void> {
  const [company] = await sql<{ id: number }[]>`
    insert into company (company_code, company_name, source)
    values ('DY-CO', 'Day Co', 'MANUAL') returning id`;
  // Day d of 40 (UTC), rows every 97 minutes, three per timestamp (ties broken by id); days 13-17
  // and 30 hold nobody. Names cycle through matches of `logistics`, `1234` and `上海`, and others.
  await sql`
    insert into customer (customer_code, customer_name, company_id, business_domain, status,
      source, operation_uid, operation_name, created_at)
    select 'DY-' || lpad(n::text, 4, '0') || case when n % 11 = 0 then '-1234' else '' end,
      (array['Harbor Logistics ', 'Other ', '上海物流 ', 'LOGISTICS hub ', 'Plain '])[1 + n % 5]
        || n,
      ${company.id}, case when n % 2 = 0 then 'COLD_CHAIN' else 'GENERAL_WAREHOUSING' end,
      case when n % 7 = 0 then 'SUSPENDED' else 'ACTIVE' end, 'MANUAL', 'test', 'Test',
      timestamptz '2026-03-01 00:00:00+00' + (n / 3) * interval '97 minutes'
    from generate_series(1, 1800) as n
    where ((n / 3) * 97 / 1440) not between 13 and 17 and ((n / 3) * 97 / 1440) <> 30`;
  // The newest day: 600 customers of other names, created after everyone else.
  await sql`
    insert into customer (customer_code, customer_name, company_id, business_domain, status,
      source, operation_uid, operation_name, created_at)
    select 'IM-' || n, 'Imported ' || n, ${company.id},
      case when n % 2 = 0 then 'COLD_CHAIN' else 'GENERAL_WAREHOUSING' end, 'ACTIVE', 'MANUAL',
      'test', 'Test', timestamptz '2026-05-01 08:00:00+00' + n * interval '1 second'
    from generate_series(1, 600) as n`;
  await sql`vacuum analyze customer`;
}

function ids(page: { items: { id: number | string }[] }): number[] {
  return page.items.map(({ id }) => Number(id));
}

/** Every page of the filter by cursor, through `searchCustomers` with `options`. */
async function cursorWalk(
  sql: Sql,
  filter: CustomerFilter,
  sort: CustomerSort,
  options: CustomerSearchOptions,
): Promise<number[]> {
  const seen: number[] = [];
  let after: ListPosition | undefined;
  for (let pages = 0; pages < 200; pages++) {
    const page = await searchCustomers(sql, filter, { sort, limit: 25, offset: 0, after }, options);
    seen.push(...ids(page));
    if (!page.next) return seen;
    after = page.next;
  }
  throw new Error("the cursor walk did not end");
}

Deno.test("keyword pages sorted by createdAt read day by day answer the plain query's rows", async (t) => {
  const db = await createTestDatabase("customer_search_days");
  try {
    await insertDays(db.sql);
    const filters: CustomerFilter[] = [
      { domains: ["COLD_CHAIN", "GENERAL_WAREHOUSING"], keyword: "logistics" },
      { domains: ["COLD_CHAIN"], keyword: "Logistics" },
      { domains: ["GENERAL_WAREHOUSING"], keyword: "1234" },
      { domains: ["COLD_CHAIN", "GENERAL_WAREHOUSING"], keyword: "上海" },
      { domains: ["COLD_CHAIN"], keyword: "logistics", status: "SUSPENDED" },
      { domains: ["COLD_CHAIN", "GENERAL_WAREHOUSING"], keyword: "nobody has this" },
    ];
    for (const [label, options] of [["by day", BY_DAY], ["giving up", BY_DAY_GIVING_UP]] as const) {
      await t.step(label, async () => {
        for (const filter of filters) {
          for (const sort of SORTS) {
            const everything = await queryCustomerPage(db.sql, filter, {
              sort,
              limit: 5000,
              offset: 0,
            });
            const expected = ids(everything);
            const context = `${JSON.stringify(filter)} ${sort.field} ${sort.direction}`;
            assert.deepEqual(await cursorWalk(db.sql, filter, sort, options), expected, context);
            for (const page of [{ limit: 20, offset: 0 }, { limit: 20, offset: 130 }]) {
              const start: CustomerPageStart = { sort, ...page };
              const found = await searchCustomers(db.sql, filter, start, options);
              assert.deepEqual(
                ids(found),
                expected.slice(page.offset, page.offset + page.limit),
                `${context} offset ${page.offset}`,
              );
              assert.equal(found.total, Math.min(expected.length, options.cap + 1), context);
            }
          }
        }
      });
    }
    // The matches of the first day after the import make the first page of `-createdAt`: the
    // import's day, then the one before it, then the two before those.
    const first = await searchCustomers(
      db.sql,
      { domains: ["COLD_CHAIN", "GENERAL_WAREHOUSING"], keyword: "harbor logistics" },
      { sort: SORTS[0], limit: 5, offset: 0 },
      BY_DAY,
    );
    assert.equal(first.items.length, 5);
    assert.ok(first.items.every(({ customerName }) => customerName.startsWith("Harbor Logistics")));
  } finally {
    await db.drop();
  }
});

Deno.test("a createdAt keyword page past an import's day reads the grams index, not the import", async () => {
  const db = await createTestDatabase("customer_search_days_plan");
  const sent: { text: string; parameters: unknown[] }[] = [];
  const watched = postgres(db.url, {
    max: 1,
    onnotice: () => {},
    debug: (_connection, text, parameters) => sent.push({ text: text.trim(), parameters }),
  }) as unknown as Sql;
  try {
    await watched`select 1`;
    await insertDays(db.sql);
    // Enough customers of other names on the import's day that a scan is never cheaper.
    const [company] = await db.sql<{ id: number }[]>`select min(id) as id from company`;
    await db.sql`
      insert into customer (customer_code, customer_name, company_id, business_domain, status,
        source, operation_uid, operation_name, created_at)
      select 'IX-' || n, 'Imported more ' || n, ${company.id}, 'COLD_CHAIN', 'ACTIVE', 'MANUAL',
        'test', 'Test', timestamptz '2026-05-01 12:00:00+00' + n * interval '1 millisecond'
      from generate_series(1, 20000) as n`;
    await db.sql`vacuum analyze customer`;
    sent.length = 0;
    const filter = { domains: ["COLD_CHAIN", "GENERAL_WAREHOUSING"], keyword: "logistics" };
    const page: CustomerPageStart = { sort: SORTS[0], limit: 20, offset: 0 };
    // A budget that reads days (the fixture's own would walk: its matches are cheap to collect).
    const found = await searchCustomers(watched, filter, page, {
      cap: 100,
      walkBudget: () => 50_000,
    });
    assert.deepEqual(ids(found), ids(await queryCustomerPage(db.sql, filter, page)));
    const daySent = [...sent];
    const days = sent.filter(({ text }) => text.includes("::text[]") && text.includes(" && "));
    assert.ok(days.length >= 2, `the days were read: ${days.length} statements`);
    // The last day statement, explained with its parameters: the grams index, no scan.
    const last = days.at(-1)!;
    const plan = await db.sql.begin(async (tx) => {
      await tx`set local plan_cache_mode = force_generic_plan`;
      return await tx.unsafe(`explain ${last.text}`, last.parameters as never[]);
    });
    const text = plan.map((row) => Object.values(row)[0]).join("\n");
    assert.match(text, /Bitmap Index Scan on idx_customer_search_grams_by_day/);
    assert.doesNotMatch(text, /Seq Scan on customer/);
    // A walk whose budget is small (its matches cheap to collect) reads no day.
    sent.length = 0;
    const walked = await searchCustomers(watched, filter, page, {
      cap: 100,
      walkBudget: () => 5_000,
    });
    assert.deepEqual(ids(walked), ids(found));
    assert.equal(sent.filter(({ text }) => text.includes(" && ")).length, 0);
    sent.splice(0, sent.length, ...daySent);
    // One walk of the sort order, of 2 000 entries (the import's 20 600 are read as a day).
    const walks = sent.filter(({ text }) => text.includes("strpos(") && !text.includes(" && "));
    assert.equal(walks.length, 1);
    assert.ok(walks[0].parameters.map(String).includes("2000"), String(walks[0].parameters));
  } finally {
    await watched.end();
    await db.drop();
  }
});
