import assert from "node:assert/strict";
import {
  countCustomers,
  queryCustomerPage,
  searchCustomers,
} from "../../src/infrastructure/postgres/customer_list_repository.ts";
import postgres from "postgres";
import type { Sql } from "../../src/infrastructure/postgres/database.ts";
import { EVERY_SORT, SEARCH_PLANS } from "../support/search_plans.ts";
import { startTestApp } from "../support/test_app.ts";
import { createTestDatabase } from "../support/database.ts";

const DOMAINS = ["GENERAL_WAREHOUSING", "COLD_CHAIN"];
const SORTS = EVERY_SORT;
/**
 * A one-connection client of the test database that records the statements it sends. It is
 * connected first: postgres.js learns the array types on its first connection, and an array
 * parameter sent meanwhile could go out as `a,b,c` (porsager/postgres#789), which a loaded machine
 * made happen.
 */
async function watchedClient(url: string) {
  const sent: { text: string; parameters: unknown[] }[] = [];
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    debug: (_connection, text, parameters) => sent.push({ text: text.trim(), parameters }),
  }) as unknown as Sql;
  await sql`select 1`;
  sent.length = 0;
  /** How many of the statements sent so far start with `prefix`. */
  const count = (prefix: string) => sent.filter(({ text }) => text.startsWith(prefix)).length;
  return { sql, sent, count };
}

const PAGES = [{ limit: 7, offset: 0 }, { limit: 7, offset: 7 }, { limit: 7, offset: 28 }, {
  limit: 50,
  offset: 0,
}];

Deno.test(
  "keyword search answers the same pages whichever plan the count chooses",
  async (t) => {
    const env = await startTestApp("customer_search_plans");
    try {
      const sql = env.deps.db.sql;
      const [company] = await sql<{ id: number }[]>`
        insert into company (company_code, company_name, source)
        values ('MN-PLAN', 'Plan Co', 'MANUAL') returning id`;
      // One statement: equal created_at everywhere and names repeating every 4 rows, so every
      // sort has ties that only the id breaks. Every third row matches neither name nor code.
      await sql`
        insert into customer (customer_code, customer_name, company_id, business_domain, status,
          source, operation_uid, operation_name)
        select 'PL-' || lpad(n::text, 3, '0'),
          case when n % 3 = 0 then 'Other ' else 'Plan Hit ' end || (n % 4),
          ${company.id}, case when n % 5 = 0 then 'CROSS_BORDER' else
            case when n % 2 = 0 then 'COLD_CHAIN' else 'GENERAL_WAREHOUSING' end end,
          'ACTIVE', 'MANUAL', 'test', 'Test'
        from generate_series(1, 60) as n`;
      // A few later rows, so created_at also orders some of them.
      await sql`
        insert into customer (customer_code, customer_name, company_id, business_domain, status,
          source, operation_uid, operation_name)
        select 'PL-L' || n, 'Plan Hit late', ${company.id}, 'COLD_CHAIN', 'ACTIVE', 'MANUAL',
          'test', 'Test'
        from generate_series(1, 3) as n`;
      const filter = { domains: DOMAINS, keyword: "plan hit" };
      const expectedTotal = (await queryCustomerPage(sql, filter, {
        sort: SORTS[0],
        limit: 1000,
        offset: 0,
      })).items.length;
      assert.equal(expectedTotal, 35);

      for (const [plan, options] of Object.entries(SEARCH_PLANS)) {
        await t.step(plan, async () => {
          for (const sort of SORTS) {
            for (const page of PAGES) {
              const expected = await queryCustomerPage(sql, filter, { sort, ...page });
              const found = await searchCustomers(sql, filter, { sort, ...page }, options);
              const label = `${sort.field} ${sort.direction} ${page.offset}+${page.limit}`;
              assert.deepEqual(
                found.items.map((c) => c.id),
                expected.items.map((c) => c.id),
                label,
              );
              assert.deepEqual(found.items, expected.items, label);
              assert.deepEqual(found.next, expected.next, label);
              assert.equal(found.total, Math.min(expectedTotal, options.cap + 1), label);
            }
          }
        });
      }

      await t.step("the reference itself breaks ties by id in the sort's direction", async () => {
        const { items: page } = await queryCustomerPage(sql, filter, {
          sort: { field: "customerName", direction: "desc" },
          limit: 50,
          offset: 0,
        });
        for (let i = 1; i < page.length; i++) {
          const [a, b] = [page[i - 1], page[i]];
          assert.ok(
            a.customerName > b.customerName || (a.customerName === b.customerName && a.id > b.id),
          );
        }
      });

      await t.step("a keyword matching nothing answers an empty page and 0", async () => {
        const found = await searchCustomers(sql, { domains: DOMAINS, keyword: "zzqx" }, {
          sort: SORTS[0],
          limit: 20,
          offset: 0,
        }, { cap: 5 });
        assert.deepEqual(found, { items: [], next: null, total: 0 });
      });

      await t.step(
        "a reused estimate asks no plan again, and a stale one answers the same",
        async () => {
          const { sql: watched, sent, count } = await watchedClient(env.db.url);
          try {
            const stale = { domains: DOMAINS, keyword: "stale hit" };
            const page = { sort: SORTS[0], limit: 7, offset: 0 };
            const options = { cap: 1000, collectLimit: () => 3, estimatesTtlMs: 60_000 };
            assert.equal((await searchCustomers(watched, stale, page, options)).total, 0);
            const explained = () => count("explain");
            // The whole key's estimate and the infix key's (a keyword split by position).
            assert.equal(explained(), 2);
            // The estimate said no match; now there are more than its collection holds.
            await sql`update customer set customer_name = 'Stale Hit ' || id
            where customer_code like 'PL-0%' and business_domain <> 'CROSS_BORDER'`;
            const expected = await queryCustomerPage(sql, stale, page);
            const found = await searchCustomers(watched, stale, page, options);
            assert.equal(explained(), 2);
            assert.ok(expected.items.length === 7, "the fixture fills a page");
            // This client reads bigint ids as text.
            assert.deepEqual(
              found.items.map((c) => Number(c.id)),
              expected.items.map((c) => c.id),
            );
            assert.deepEqual({ ...found.next!, id: Number(found.next!.id) }, expected.next);
            assert.equal(found.total, 48);

            // A first page whose walk fell short collects at once the next time. By name: the
            // fixture's one day of creation would answer a `createdAt` walk (ADR 0143).
            const walks = () => sent.filter(({ text }) => text.includes("sort_value")).length;
            const short = { ...options, cap: 1, walkBudget: () => 2 };
            const hits = { domains: DOMAINS, keyword: "hit" };
            const byName = { ...page, sort: SORTS[2] };
            await sql`analyze customer`;
            const first = await searchCustomers(watched, hits, byName, short);
            assert.equal(walks(), 1);
            const again = await searchCustomers(watched, hits, byName, short);
            assert.equal(walks(), 1);
            assert.deepEqual(again, first);
            assert.deepEqual(
              first.items.map((c) => Number(c.id)),
              (await queryCustomerPage(sql, hits, byName)).items.map((c) => c.id),
            );
            // A later page still walks.
            await searchCustomers(watched, hits, { ...byName, offset: 7 }, short);
            assert.ok(walks() > 1);
          } finally {
            await watched.end();
          }
        },
      );

      await t.step("a collection that overflowed the cap is not counted again", async () => {
        const { sql: watched, count } = await watchedClient(env.db.url);
        try {
          // Two characters: a keyword split by position (3 or more) sorts without collecting. By
          // name: a `createdAt` walk would read the fixture's one day whole (ADR 0143).
          const hits = { domains: DOMAINS, keyword: "hi" };
          const page = { sort: SORTS[2], limit: 7, offset: 0 };
          const options = { cap: 3, walkBudget: () => 2, collectLimit: () => 3 };
          const found = await searchCustomers(watched, hits, page, options);
          const expected = await queryCustomerPage(sql, hits, page);
          assert.deepEqual(found.items.map((c) => Number(c.id)), expected.items.map((c) => c.id));
          assert.equal(found.total, 4);
          assert.equal(count("select count"), 0);
          assert.equal(count("with matches"), 2);
        } finally {
          await watched.end();
        }
      });

      await t.step("a count over several domains, domain by domain, stops at the cap", async () => {
        const { sql: watched, sent } = await watchedClient(env.db.url);
        try {
          const hits = { domains: [...DOMAINS, "CROSS_BORDER"], keyword: "hit" };
          const all = await countCustomers(sql, hits, 100_000);
          assert.ok(all > 10, "the fixture has matches in several domains");
          // The search passes the domains by the size of their infix indexes (pg_class).
          const bySize = ["CROSS_BORDER", "GENERAL_WAREHOUSING", "COLD_CHAIN"];
          for (const cap of [1, 5, all - 1, all, 100_000]) {
            assert.equal(
              await countCustomers(watched, hits, cap, true, bySize),
              Math.min(all, cap + 1),
            );
          }
          const counts = () =>
            sent.map(({ text }) => text).filter((text) => text.startsWith("select count"));
          const perDomain = (text: string) =>
            hits.domains.every((domain) => text.includes(`c.business_domain = '${domain}'`));
          assert.ok(counts().every(perDomain), "domain by domain");
          // The smallest domain first: a common keyword reaches the cap from fewer candidates.
          assert.ok(
            counts().every((text) =>
              text.indexOf("'CROSS_BORDER'") < text.indexOf("'GENERAL_WAREHOUSING'") &&
              text.indexOf("'GENERAL_WAREHOUSING'") < text.indexOf("'COLD_CHAIN'")
            ),
          );
          // A domain without its own index is counted with the others from the table-wide one.
          const other = { ...hits, domains: [...hits.domains, "NO_SUCH_DOMAIN"] };
          assert.equal(await countCustomers(watched, other, 5, true), 6);
          assert.ok(!counts().at(-1)!.includes("c.business_domain = '"));
        } finally {
          await watched.end();
        }
      });

      await t.step("a split search plans once, on the prefix and infix indexes", async () => {
        const { sql: watched, sent } = await watchedClient(env.db.url);
        /** The generic plan (the one the search runs, ADR 0116) of its collecting statement. */
        const collected = async (domains: string[]) => {
          sent.length = 0;
          const page = { sort: SORTS[0], limit: 7, offset: 0 };
          await searchCustomers(watched, { domains, keyword: "plan hit" }, page, {
            cap: 1000,
            walkBudget: () => 2,
            denseMatches: 10_000,
          });
          const index = sent.findIndex(({ text }) => text.startsWith("with matches"));
          assert.ok(index > 0, "the search collected its matches");
          // Under generic plans: the last plan mode set before it.
          const mode = sent.slice(0, index).findLast(({ text }) =>
            text.includes("plan_cache_mode")
          )!;
          assert.ok(
            mode.text.includes("'force_generic_plan'") ||
              mode.parameters[0] === "force_generic_plan",
            mode.text,
          );
          const statement = sent[index];
          // The table-wide index is dropped in a transaction that is rolled back: what is left is
          // the index the condition's form allows (a one-domain condition must match a partial
          // index's predicate), or a scan.
          const connection = await sql.reserve();
          try {
            await connection`begin`;
            await connection`set local plan_cache_mode = force_generic_plan`;
            if (domains.length === 1) await connection`drop index idx_customer_search_infix_trgm`;
            // The parameters' types as Postgres inferred them for the search.
            const { types } = await connection.unsafe(
              statement.text,
              statement.parameters as never[],
            )
              .describe();
            const names = await connection<{ name: string }[]>`
              select format_type(oid, null) as name from unnest(${types}::oid[])
                with ordinality as t(oid, n) order by n`;
            const typeList = names.map(({ name }) => name).join(", ");
            await connection.unsafe(`prepare split_plan(${typeList}) as ${statement.text}`);
            // EXECUTE takes its arguments as expressions: literals cast to the same types.
            const quote = (value: unknown) => `'${String(value).replaceAll("'", "''")}'`;
            const literals = statement.parameters.map((value, i) =>
              `${Array.isArray(value) ? `array[${value.map(quote).join(", ")}]` : quote(value)}::${
                names[i].name
              }`
            );
            const plan = await connection.unsafe(`explain execute split_plan(${literals})`);
            return plan.map((row) => Object.values(row)[0]).join("\n");
          } finally {
            await connection`rollback`;
            await connection`deallocate split_plan`;
            connection.release();
          }
        };
        // Enough customers that neither a scan nor a bitmap of the whole domain is cheaper.
        await sql`
          insert into customer (customer_code, customer_name, company_id, business_domain,
            status, source, operation_uid, operation_name)
          select 'PL-F' || n, 'Filler ' || n, (select min(id) from company),
            case when n % 2 = 0 then 'COLD_CHAIN' else 'GENERAL_WAREHOUSING' end, 'ACTIVE',
            'MANUAL', 'test', 'Test'
          from generate_series(1, 20000) as n`;
        await sql`vacuum analyze customer`;
        try {
          const one = await collected(["COLD_CHAIN"]);
          assert.match(one, /idx_customer_search_infix_cold_chain/);
          assert.match(one, /Index Only Scan using idx_customer_search_name_prefix/);
          assert.match(one, /Index Only Scan using idx_customer_search_code_prefix/);
          const both = await collected(["COLD_CHAIN", "GENERAL_WAREHOUSING"]);
          assert.match(both, /idx_customer_search_infix_trgm /);
          assert.doesNotMatch(both, /idx_customer_search_infix_(cold|general)/);
          assert.doesNotMatch(one + both, /Seq Scan on customer/);
        } finally {
          await watched.end();
        }
      });
    } finally {
      await env.close();
    }
  },
);

Deno.test(
  "a keyword inside names walks past a newer head of other names instead of sorting every match",
  async () => {
    // ADR 0117: after an import of other names, the newest rows hold no match. Collecting and
    // sorting matches found inside names costs about ten walked entries each, so the walk reads
    // that far before giving up: here 700 matches behind 5 000 newer rows.
    const db = await createTestDatabase("customer_search_head");
    const { sql: watched, sent } = await watchedClient(db.url);
    try {
      const sql = db.sql;
      const [company] = await sql<{ id: number }[]>`
        insert into company (company_code, company_name, source)
        values ('HD-CO', 'Head Co', 'MANUAL') returning id`;
      const insert = (prefix: string, name: string, count: number) =>
        sql`insert into customer (customer_code, customer_name, company_id, business_domain,
            status, source, operation_uid, operation_name)
          select ${prefix} || n, ${name} || n, ${company.id}, 'GENERAL_WAREHOUSING', 'ACTIVE',
            'MANUAL', 'test', 'Test'
          from generate_series(1, ${count}) as n`;
      await insert("HD-M", "Apex Farlogix Co ", 700);
      await insert("HD-O", "Other Name ", 5_000);
      await sql`vacuum analyze customer`;
      const filter = { domains: ["GENERAL_WAREHOUSING"], keyword: "farlogix" };
      const page = {
        sort: { field: "createdAt", direction: "desc" } as const,
        limit: 20,
        offset: 0,
      };
      const expected = await queryCustomerPage(sql, filter, page);
      assert.equal(expected.items.length, 20);
      const found = await searchCustomers(watched, filter, page, { cap: 100 });
      // The watched client leaves bigint ids as text.
      assert.deepEqual(found.items.map(({ id }) => Number(id)), expected.items.map(({ id }) => id));
      assert.equal(found.total, 101);
      assert.ok(sent.some(({ text }) => text.includes("strpos(")), "the search walked");
      const sorted = sent.filter(({ text }) =>
        text.includes("union all") && !text.startsWith("select count(*)")
      );
      assert.deepEqual(sorted.map(({ text }) => text.slice(0, 60)), [], "no match was sorted");
    } finally {
      await watched.end();
      await db.drop();
    }
  },
);
