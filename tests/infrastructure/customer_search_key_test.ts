import assert from "node:assert/strict";
import {
  type CustomerSearchOptions,
  type CustomerSort,
  searchCustomers,
} from "../../src/infrastructure/postgres/customer_list_repository.ts";
import type { Sql } from "../../src/infrastructure/postgres/database.ts";
import { createTestDatabase } from "../support/database.ts";
import { insertKeywordFixture, SEARCH_PLANS } from "../support/search_plans.ts";
import { startTestApp } from "../support/test_app.ts";
import { TRICKY_NAMES } from "../support/tricky_names.ts";

// The pre-folded search key and the bigram index (ADR 0069) must answer exactly what
// `customer_name ilike '%k%' or customer_code ilike '%k%'` answered: same rows, same order, same
// count, for every plan of the search.

const NAMES = [
  ...TRICKY_NAMES,
  "Straße Logistik",
  "STRASSE Logistik",
  "İstanbul Kargo",
  "istanbul kargo",
  "ΣΟΦΙΑ Shipping",
  "σοφια shipping",
  "ǅemal Trade",
  "北京冷链物流",
  "冷链",
  "海上",
  // Where the keyword starts decides the arm of a split search (ADR 0116): at the start of the
  // name and again inside it, right before U+10FFFF (the top of the prefix ranges), at the start
  // of both name and code (counted once), and inside a run of digits.
  "Harbor Harbor Freight",
  "HARBOR\u{10FFFF}\u{10FFFF} Max",
  "ks-0 Start Co",
  "Depot 12345 West",
];

const KEYWORDS = [
  "物流", // two characters: the bigram index
  "冷链",
  "上海",
  "海上",
  "ss",
  "SS",
  "ß",
  "İ",
  "i̇",
  "σ",
  "Σοφ",
  "ǆ",
  "ǅe",
  "a",
  "%",
  "_",
  "\\",
  "h%",
  "0_x",
  "ks-01",
  "KS-0",
  "harbor",
  "HARBOR",
  "\u001f", // the key's separator: served by the ILIKE pair
  "r\u001fk",
  "zz",
  "harbor h",
  "harbor\u{10FFFF}",
  "ks-0 s",
  "2345",
  "t 12345",
  "rbor",
];

const SORTS: CustomerSort[] = [
  { field: "createdAt", direction: "desc" },
  { field: "customerName", direction: "asc" },
  { field: "customerCode", direction: "desc" },
];

async function reference(sql: Sql, keyword: string, sort: CustomerSort, domains: string[]) {
  const pattern = `%${keyword.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  const column = sql(
    { createdAt: "created_at", customerName: "customer_name", customerCode: "customer_code" }[
      sort.field
    ],
  );
  const direction = sort.direction === "desc" ? sql`desc` : sql`asc`;
  const rows = await sql<{ id: string }[]>`
    select c.id::text from customer c
    where business_domain = any(${domains}::text[])
      and (customer_name ilike ${pattern} or customer_code ilike ${pattern})
    order by ${column} ${direction}, c.id ${direction}`;
  return rows.map((row) => Number(row.id));
}

async function searchAll(
  sql: Sql,
  keyword: string,
  sort: CustomerSort,
  domains: string[],
  options: CustomerSearchOptions,
) {
  const ids: number[] = [];
  let total = 0;
  for (let offset = 0;; offset += 4) {
    const page = await searchCustomers(sql, { domains, keyword }, { sort, limit: 4, offset }, {
      ...options,
    });
    if (offset === 0) total = page.total;
    ids.push(...page.items.map((item) => item.id));
    if (!page.next) return { ids, total };
  }
}

Deno.test("keyword search on the search key answers what ILIKE on name and code answered", async (t) => {
  const env = await startTestApp("customer_search_key");
  try {
    const sql = env.deps.db.sql;
    await insertKeywordFixture(sql, NAMES, 2);

    for (const [plan, options] of Object.entries(SEARCH_PLANS)) {
      await t.step(plan, async () => {
        for (const domains of [["GENERAL_WAREHOUSING", "COLD_CHAIN"], ["COLD_CHAIN"]]) {
          for (const keyword of KEYWORDS) {
            for (const sort of SORTS) {
              const expected = await reference(sql, keyword, sort, domains);
              const found = await searchAll(sql, keyword, sort, domains, options);
              const label = `${JSON.stringify(keyword)} ${sort.field} ${domains.length} domains`;
              assert.deepEqual(found.ids, expected, label);
              assert.equal(found.total, options.cap < expected.length ? 2 : expected.length);
            }
          }
        }
      });
    }

    await t.step("the fixture makes the case-folding keywords match", async () => {
      for (const keyword of ["物流", "上海", "ss", "ß", "İ", "σ", "ǆ", "%", "_", "\\"]) {
        const ids = await reference(sql, keyword, SORTS[0], ["GENERAL_WAREHOUSING", "COLD_CHAIN"]);
        assert.ok(ids.length >= 2, `${keyword} matches ${ids.length}`);
      }
    });

    await t.step("the search key follows a renamed customer", async () => {
      const [row] = await sql<{ id: string }[]>`
        update customer set customer_name = 'Renamed Zebra Freight'
        where customer_code = 'KS-001%y' returning id::text`;
      const found = await searchCustomers(
        sql,
        { domains: ["GENERAL_WAREHOUSING"], keyword: "zEBRA" },
        { sort: SORTS[0], limit: 10, offset: 0 },
        { cap: 1000 },
      );
      assert.deepEqual(found.items.map((item) => item.id), [Number(row.id)]);
    });

    await t.step(
      "the grams index holds a row's bigrams, its domain's token and its day's token",
      async () => {
        // Which plan uses it depends on the table's size (the bench measures that); what it holds
        // decides whether a search through it can miss a row.
        const [row] = await sql<
          { grams: string[]; search_key: string; business_domain: string; day: number }[]
        >`
        select customer_search_grams(search_key, business_domain, created_at) as grams,
          search_key, business_domain,
          floor(extract(epoch from created_at) / 86400)::int as day
        from customer where customer_code = 'KS-002%y'`;
        const chars = [...row.search_key];
        for (let i = 0; i + 2 <= chars.length; i++) {
          assert.ok(row.grams.includes(chars.slice(i, i + 2).join("")));
        }
        assert.ok(row.grams.includes(`\u0001${row.business_domain}`));
        // The fixture's customers were created on 2026-01-01 (UTC): day 20 454 since 1970.
        assert.equal(row.day, 20_454);
        assert.ok(row.grams.includes(`\u000220454`));
        // The session's time zone does not move a customer to another day (an immutable index).
        const [east] = await sql.begin((tx) => [
          tx`set local time zone 'Asia/Shanghai'`,
          tx<{ grams: string[] }[]>`
            select customer_search_grams(search_key, business_domain, created_at) as grams
            from customer where customer_code = 'KS-002%y'`,
        ]).then(([, rows]) => rows);
        assert.deepEqual(east.grams, row.grams);
        const [{ definition }] = await sql<{ definition: string }[]>`
        select pg_get_indexdef('idx_customer_search_grams_by_day'::regclass) as definition`;
        assert.match(
          definition,
          /gin \(customer_search_grams\(search_key, business_domain, created_at\)\)/,
        );
      },
    );
  } finally {
    await env.close();
  }
});

Deno.test("under an ICU collation, keyword pages sort by that collation", async (t) => {
  // Matches are sorted by bytes only where the columns sort by code point (ADR 0116); an ICU
  // database orders `harbor` before `MIXED CASE HARBOR`, bytes the other way round.
  const db = await createTestDatabase("customer_search_icu", {
    createOptions: "template template0 locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'",
  });
  try {
    await insertKeywordFixture(db.sql, NAMES, 2);
    const domains = ["GENERAL_WAREHOUSING", "COLD_CHAIN"];
    const byName: CustomerSort = { field: "customerName", direction: "asc" };
    const bytes = (await db.sql<{ id: string }[]>`
      select id::text from customer where customer_name ilike '%harbor%'
      order by customer_name collate "C", id`).map((row) => Number(row.id));
    assert.notDeepEqual(await reference(db.sql, "harbor", byName, domains), bytes);
    for (const [plan, options] of Object.entries(SEARCH_PLANS)) {
      await t.step(plan, async () => {
        for (const keyword of ["harbor", "HARBOR", "ase", "ks-0", "Logistik"]) {
          for (const sort of [byName, { ...byName, direction: "desc" as const }, SORTS[2]]) {
            const expected = await reference(db.sql, keyword, sort, domains);
            const found = await searchAll(db.sql, keyword, sort, domains, options);
            assert.deepEqual(found.ids, expected, `${keyword} ${sort.field} ${sort.direction}`);
          }
        }
      });
    }
  } finally {
    await db.drop();
  }
});
