import assert from "node:assert/strict";
import type { Sql } from "../../src/infrastructure/postgres/database.ts";
import { insertCompany } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { type TestUser, USERS } from "../support/tokens.ts";
import { TRICKY_NAMES } from "../support/tricky_names.ts";

interface PageBody {
  items: { id: number }[];
  page: number | null;
  pageSize: number;
  total: number;
  nextCursor: string | null;
}

async function getPage(env: TestApp, path: string, user: TestUser = USERS.admin) {
  const response = await env.request("GET", path, { as: user });
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return await response.json() as PageBody;
}

/** Walks a list by cursor from its first page; `between` runs after every page. */
async function walkByCursor(
  env: TestApp,
  path: string,
  options: { user?: TestUser; between?: (pageNumber: number) => Promise<void> } = {},
) {
  const separator = path.includes("?") ? "&" : "?";
  const ids: number[] = [];
  let body = await getPage(env, path, options.user);
  assert.equal(body.page, 1);
  for (let pageNumber = 1;; pageNumber++) {
    ids.push(...body.items.map((item) => item.id));
    if (body.nextCursor === null) return { ids, last: body };
    assert.equal(typeof body.nextCursor, "string");
    await options.between?.(pageNumber);
    body = await getPage(
      env,
      `${path}${separator}cursor=${encodeURIComponent(body.nextCursor)}`,
      options.user,
    );
    assert.equal(body.page, null, "a page reached by cursor has no page number");
  }
}

/** Walks a list by page number until a short page. */
async function walkByPage(env: TestApp, path: string, pageSize: number, user?: TestUser) {
  const separator = path.includes("?") ? "&" : "?";
  const ids: number[] = [];
  for (let page = 1;; page++) {
    const body = await getPage(env, `${path}${separator}page=${page}&pageSize=${pageSize}`, user);
    ids.push(...body.items.map((item) => item.id));
    if (body.items.length < pageSize) return ids;
  }
}

async function expectCursorRejected(env: TestApp, path: string, pattern: RegExp) {
  const response = await env.request("GET", path, { as: USERS.admin });
  assert.equal(response.status, 400, path);
  const problem = await response.json();
  assert.equal(problem.code, "VALIDATION_FAILED");
  assert.equal(problem.errors[0].path, "cursor");
  assert.match(problem.errors[0].message, pattern);
}

/**
 * 40 customers: created_at values a microsecond apart in groups sharing one value, names and
 * codes with ties broken only by id (same name, different codes).
 */
async function seedCustomers(sql: Sql, companyId: number, tag: string, count: number) {
  const rows = await sql<{ id: number }[]>`
    insert into customer (customer_code, customer_name, company_id, business_domain, status,
      source, operation_uid, operation_name, created_at)
    select ${tag} || '-' || lpad(n::text, 4, '0'), 'Walk ' || (n % 6), ${companyId},
      case when n % 3 = 0 then 'COLD_CHAIN' else 'GENERAL_WAREHOUSING' end, 'ACTIVE', 'MANUAL',
      'test', 'Test',
      timestamptz '2026-01-01 00:00:00+00' + (n / 4) * interval '1 microsecond'
    from generate_series(1, ${count}) as n
    returning id`;
  return rows.map((row) => row.id);
}

/** Rows that sort before, among and after any position of every sort order. */
async function insertDuringWalk(sql: Sql, companyId: number, round: number) {
  await sql`
    insert into customer (customer_code, customer_name, company_id, business_domain, status,
      source, operation_uid, operation_name, created_at)
    values
      (${`A-NEW-${round}`}, 'AAA new', ${companyId}, 'GENERAL_WAREHOUSING', 'ACTIVE', 'MANUAL',
        'test', 'Test', now()),
      (${`WK-0010-${round}`}, 'Walk 3', ${companyId}, 'GENERAL_WAREHOUSING', 'ACTIVE', 'MANUAL',
        'test', 'Test', timestamptz '2026-01-01 00:00:00+00' + interval '5 microsecond'),
      (${`Z-NEW-${round}`}, 'ZZZ new', ${companyId}, 'COLD_CHAIN', 'ACTIVE', 'MANUAL',
        'test', 'Test', timestamptz '2020-01-01 00:00:00+00')`;
}

Deno.test(
  "customer cursor walks never repeat or skip rows that existed before",
  async (t) => {
    const env = await startTestApp("list_cursors_customers", {
      env: { RATE_LIMIT_PER_MINUTE: "100000" },
    });
    try {
      const sql = env.deps.db.sql;
      const company = await insertCompany(sql);
      const before = await seedCustomers(sql, company.id, "WK", 40);
      let round = 0;
      for (
        const sort of ["-createdAt", "createdAt", "customerName", "-customerName", "customerCode"]
      ) {
        await t.step(`sort=${sort}, with inserts between pages`, async () => {
          const { ids, last } = await walkByCursor(env, `/customers?sort=${sort}&pageSize=7`, {
            between: () => insertDuringWalk(sql, company.id, ++round),
          });
          assert.equal(new Set(ids).size, ids.length, "no row twice");
          const seen = new Set(ids);
          assert.deepEqual(before.filter((id) => !seen.has(id)), [], "no pre-existing row skipped");
          assert.equal(last.nextCursor, null);
        });
      }

      await t.step(
        "without writes, cursor and page walks list the same rows in order",
        async () => {
          for (const sort of ["-createdAt", "customerName", "-customerCode"]) {
            const query = `/customers?sort=${sort}&businessDomain=GENERAL_WAREHOUSING`;
            const byCursor = await walkByCursor(env, `${query}&pageSize=9`);
            assert.deepEqual(byCursor.ids, await walkByPage(env, query, 9), sort);
          }
        },
      );

      await t.step("the last page answers nextCursor null, also an exactly full one", async () => {
        const full = await getPage(env, "/customers?keyword=WK-002&pageSize=10");
        assert.equal(full.total, 10);
        assert.equal(full.items.length, 10);
        assert.equal(full.nextCursor, null);
        const half = await getPage(env, "/customers?keyword=WK-002&pageSize=5");
        const rest = await getPage(
          env,
          `/customers?keyword=WK-002&pageSize=5&cursor=${half.nextCursor}`,
        );
        assert.equal(rest.items.length, 5);
        assert.equal(rest.nextCursor, null);
        const empty = await getPage(env, "/customers?keyword=nothing-matches-this");
        assert.equal(empty.nextCursor, null);
      });

      await t.step("a domain user's walk stays in the domain", async () => {
        const { ids } = await walkByCursor(env, "/customers?pageSize=5", { user: USERS.cold });
        const domains = await sql<{ business_domain: string }[]>`
        select distinct business_domain from customer where id = any(${ids}::bigint[])`;
        assert.deepEqual(domains.map((row) => row.business_domain), ["COLD_CHAIN"]);
      });

      await t.step("a cursor for other filters, another sort or altered is 400", async () => {
        const first = await getPage(env, "/customers?sort=customerName&status=ACTIVE&pageSize=3");
        const cursor = first.nextCursor!;
        const ok = await getPage(
          env,
          `/customers?status=ACTIVE&sort=customerName&pageSize=5&cursor=${cursor}`,
        );
        assert.equal(ok.items.length, 5, "pageSize may change and query order does not matter");
        const other = /other filters or another sort/;
        await expectCursorRejected(env, `/customers?sort=customerName&cursor=${cursor}`, other);
        await expectCursorRejected(
          env,
          `/customers?sort=customerName&status=ACTIVE&keyword=Walk&cursor=${cursor}`,
          other,
        );
        await expectCursorRejected(
          env,
          `/customers?sort=-customerName&status=ACTIVE&cursor=${cursor}`,
          other,
        );
        await expectCursorRejected(env, `/customers?status=ACTIVE&cursor=${cursor}`, other);
        const [payload, signature] = cursor.split(".");
        const json = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
        const forged = btoa(JSON.stringify({ ...json, i: json.i + 1 })).replaceAll("+", "-")
          .replaceAll("/", "_").replace(/=+$/, "");
        const flipped = signature.startsWith("A")
          ? `B${signature.slice(1)}`
          : `A${signature.slice(1)}`;
        for (
          const bad of [
            `${forged}.${signature}`,
            `${payload}.${flipped}`,
            "abc",
            `${payload}`,
            `${cursor}.x`,
          ]
        ) {
          await expectCursorRejected(
            env,
            `/customers?sort=customerName&status=ACTIVE&cursor=${encodeURIComponent(bad)}`,
            /does not parse/,
          );
        }
      });

      await t.step("a cursor made for another list is 400", async () => {
        const groups = await getPage(env, "/companies?pageSize=1");
        assert.equal(groups.nextCursor, null, "one company: the only page is the last");
        const customers = await getPage(env, "/customers?pageSize=1");
        await expectCursorRejected(
          env,
          `/companies?cursor=${customers.nextCursor}`,
          /other filters/,
        );
      });

      await t.step("cursor together with page is 400", async () => {
        const first = await getPage(env, "/customers?pageSize=2");
        const response = await env.request("GET", `/customers?page=2&cursor=${first.nextCursor}`, {
          as: USERS.admin,
        });
        assert.equal(response.status, 400);
        const problem = await response.json();
        assert.equal(problem.code, "VALIDATION_FAILED");
        assert.deepEqual(problem.errors, [{
          path: "cursor",
          message: "give either page or cursor, not both",
        }]);
      });

      await t.step("the OpenAPI document describes cursor, nextCursor and the export", async () => {
        const document = await (await env.request("GET", "/openapi.json")).json();
        for (const path of ["/customers", "/companies", "/customer-groups", "/external-sync"]) {
          const names = document.paths[path].get.parameters.map((p: { name: string }) => p.name);
          assert.ok(names.includes("cursor") && names.includes("page"), path);
        }
        const page = document.components.schemas.CustomerPage;
        assert.ok(page.required.includes("nextCursor"));
        assert.deepEqual(page.properties.nextCursor.type, ["string", "null"]);
        assert.deepEqual(page.properties.page.type, ["integer", "null"]);
        const exported = document.paths["/customers/export"].get;
        assert.deepEqual(Object.keys(exported.responses["200"].content).sort(), [
          "application/x-ndjson",
          "text/csv",
        ]);
        assert.ok(!exported.parameters.some((p: { name: string }) => p.name === "cursor"));
      });

      await t.step("the total stays the filter's total on pages reached by cursor", async () => {
        const first = await getPage(env, "/customers?keyword=walk&pageSize=4");
        const second = await getPage(
          env,
          `/customers?keyword=walk&pageSize=4&cursor=${first.nextCursor}`,
        );
        assert.equal(second.total, first.total);
        assert.ok(first.total > 8);
      });
    } finally {
      await env.close();
    }
  },
);

Deno.test(
  "companies, groups and sync records walk by cursor like by page",
  async (t) => {
    const env = await startTestApp("list_cursors_others");
    try {
      const sql = env.deps.db.sql;
      const companies = [];
      for (let n = 0; n < 13; n++) {
        companies.push(await insertCompany(sql, { companyName: `Walk Co ${n % 4}` }));
      }
      await sql`
      insert into customer (customer_code, customer_name, company_id, business_domain, status,
        source, operation_uid, operation_name)
      select 'CW-' || id, 'Walker', id, 'GENERAL_WAREHOUSING', 'ACTIVE', 'MANUAL', 'test', 'Test'
      from company`;
      await sql`
      insert into customer_group (group_name, business_domain, operation_uid, operation_name,
        created_at)
      select 'Group ' || (n % 5) || '-' || n, 'COLD_CHAIN', 'test', 'Test',
        timestamptz '2026-01-01 00:00:00+00' + (n / 3) * interval '1 microsecond'
      from generate_series(1, 17) as n`;
      await sql`
      insert into external_system_sync (entity_type, source, remote_id, business_domain,
        sync_status, operation_uid, error_code, error_message, synced_at)
      select 'CUSTOMER', 'RB', 'R-' || n, 'COLD_CHAIN', 'FAILED', 'test', 'E', 'failed',
        timestamptz '2026-01-01 00:00:00+00' + (n / 4) * interval '1 microsecond'
      from generate_series(1, 19) as n`;

      const cases = [
        ["/companies?sort=-createdAt", 13],
        ["/companies?sort=companyName", 13],
        ["/companies?sort=-companyCode&keyword=walk", 13],
        ["/customer-groups?sort=-createdAt", 17],
        ["/customer-groups?sort=groupName", 17],
        ["/external-sync?sort=-createdAt", 19],
        ["/external-sync?sort=createdAt&syncStatus=FAILED", 19],
      ] as const;
      for (const [path, count] of cases) {
        await t.step(path, async () => {
          const { ids, last } = await walkByCursor(env, `${path}&pageSize=4`);
          assert.equal(ids.length, count);
          assert.deepEqual(ids, await walkByPage(env, path, 4));
          assert.equal(last.total, count);
        });
      }

      await t.step(
        "inserts during a group walk neither repeat nor skip earlier groups",
        async () => {
          const before = (await sql<{ id: number }[]>`select id from customer_group`).map((r) =>
            r.id
          );
          let n = 0;
          const { ids } = await walkByCursor(env, "/customer-groups?sort=groupName&pageSize=3", {
            between: async () => {
              n++;
              await sql`
            insert into customer_group (group_name, business_domain, operation_uid,
              operation_name)
            values (${`AAA ${n}`}, 'COLD_CHAIN', 'test', 'Test'),
              (${`Group 2-${n}x`}, 'COLD_CHAIN', 'test', 'Test')`;
            },
          });
          assert.equal(new Set(ids).size, ids.length);
          const seen = new Set(ids);
          assert.deepEqual(before.filter((id) => !seen.has(id)), []);
        },
      );

      await t.step("a sync cursor for another filter is 400", async () => {
        const first = await getPage(env, "/external-sync?pageSize=2");
        await expectCursorRejected(
          env,
          `/external-sync?syncStatus=FAILED&cursor=${first.nextCursor}`,
          /other filters/,
        );
      });
    } finally {
      await env.close();
    }
  },
);

Deno.test(
  "keyword pages walked by cursor equal the page walk on tricky names",
  async (t) => {
    const env = await startTestApp("list_cursors_keywords", {
      env: { RATE_LIMIT_PER_MINUTE: "100000" },
    });
    try {
      const sql = env.deps.db.sql;
      const company = await insertCompany(sql);
      await sql`
        insert into customer (customer_code, customer_name, company_id, business_domain, status,
          source, operation_uid, operation_name)
        select 'TK-' || n || case when n % 4 = 0 then '_%' else '' end,
          (${TRICKY_NAMES}::text[])[1 + n % ${TRICKY_NAMES.length}], ${company.id},
          'GENERAL_WAREHOUSING', 'ACTIVE', 'MANUAL', 'test', 'Test'
        from generate_series(1, ${TRICKY_NAMES.length * 4}) as n`;
      for (const keyword of ["%", "_", "100%", "snake_case", "有限公司", "Harbor", "hArBoR"]) {
        for (const sort of ["-createdAt", "customerName", "-customerCode"]) {
          await t.step(`keyword=${keyword} sort=${sort}`, async () => {
            const path = `/customers?keyword=${encodeURIComponent(keyword)}&sort=${sort}`;
            const byPage = await walkByPage(env, path, 4);
            const { ids } = await walkByCursor(env, `${path}&pageSize=4`);
            assert.ok(byPage.length >= 4, "the fixture has matches");
            assert.deepEqual(ids, byPage);
          });
        }
      }
    } finally {
      await env.close();
    }
  },
);
