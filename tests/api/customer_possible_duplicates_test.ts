import assert from "node:assert/strict";
import { normaliseCustomerName } from "../../src/domain/customer/customer_name.ts";
import { insertCompany, insertCustomer } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { type TestUser, USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";
const COLD = "COLD_CHAIN";
const USCC = "91310000MA1K000019";
const OTHER_USCC = "91440300MA5F00002D";

interface Item {
  customer: { id: number; customerName: string; businessDomain: string; status: string };
  score: number;
  reasons: string[];
}

async function search(
  env: TestApp,
  query: Record<string, string>,
  as: TestUser = USERS.std,
): Promise<Response> {
  return await env.request(
    "GET",
    `/customers/possible-duplicates?${new URLSearchParams(query)}`,
    { as },
  );
}

async function itemsOf(response: Response): Promise<Item[]> {
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).items;
}

async function problemOf(response: Response, status: number, code: string) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}`);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const body = await response.json();
  assert.equal(body.code, code);
  return body;
}

Deno.test("GET /customers/possible-duplicates (contract §10.6)", async (t) => {
  const env = await startTestApp("possible_duplicates");
  const sql = env.db.sql;
  try {
    const coded = await insertCompany(sql, { unifiedSocialCreditCode: USCC });
    const other = await insertCompany(sql, { unifiedSocialCreditCode: OTHER_USCC });
    const exact = await insertCustomer(sql, {
      customerName: "Acme Trading Shanghai",
      companyId: other.id,
    });
    const sameCode = await insertCustomer(sql, {
      customerName: "Zeta Logistics",
      companyId: coded.id,
    });
    const fullWidth = await insertCustomer(sql, {
      customerName: "ＡＣＭＥ　Ｔｒａｄｉｎｇ   SHANGHAI",
      companyId: other.id,
    });
    const near = await insertCustomer(sql, {
      customerName: "Acme Trading Shanghai Branch",
      companyId: other.id,
    });
    const unrelated = await insertCustomer(sql, { customerName: "Blue River Foods" });
    const cold = await insertCustomer(sql, {
      customerName: "Acme Trading Shanghai",
      businessDomain: COLD,
      companyId: coded.id,
    });
    const terminated = await insertCustomer(sql, {
      customerName: "Acme Trading Shanghai",
      status: "TERMINATED",
      companyId: coded.id,
    });
    const merged = await insertCustomer(sql, {
      customerName: "Acme Trading Shanghai",
      companyId: coded.id,
    });
    await sql`update customer set status = 'TERMINATED', merged_into_id = ${exact.id}
      where id = ${merged.id}`;

    await t.step("same credit code ranks first, then similar names, best first", async () => {
      const items = await itemsOf(
        await search(env, {
          customerName: "acme trading shanghai",
          businessDomain: GW,
          unifiedSocialCreditCode: USCC.toLowerCase(),
        }),
      );
      const ids = items.map((item) => item.customer.id);
      assert.deepEqual(ids.slice(0, 1), [sameCode.id]);
      assert.deepEqual(items[0].reasons, ["SAME_CREDIT_CODE"]);
      assert.equal(items[0].score, 1);
      assert.deepEqual(new Set(ids), new Set([sameCode.id, exact.id, fullWidth.id, near.id]));
      for (const item of items.slice(1)) {
        assert.deepEqual(item.reasons, ["SIMILAR_NAME"]);
        assert.ok(item.score >= 0.6 && item.score <= 1, String(item.score));
      }
      const scores = items.map((item) => item.score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
      assert.equal(items.at(-1)!.customer.id, near.id);
      assert.ok(items.at(-1)!.score < 1);
    });

    await t.step("names match across case and full-width/half-width forms", async () => {
      const items = await itemsOf(
        await search(env, { customerName: "  ａｃｍｅ　TRADING shanghai ", businessDomain: GW }),
      );
      const byId = new Map(items.map((item) => [item.customer.id, item]));
      assert.equal(byId.get(exact.id)?.score, 1);
      assert.equal(byId.get(fullWidth.id)?.score, 1);
      assert.ok(byId.has(near.id));
      assert.ok(!byId.has(sameCode.id), "no credit code given: only names");
      assert.ok(!byId.has(unrelated.id));
    });

    await t.step("terminated, merged and other domains' customers never appear", async () => {
      for (const as of [USERS.std, USERS.admin]) {
        const items = await itemsOf(
          await search(env, {
            customerName: "Acme Trading Shanghai",
            businessDomain: GW,
            unifiedSocialCreditCode: USCC,
          }, as),
        );
        const ids = items.map((item) => item.customer.id);
        for (const hidden of [cold.id, terminated.id, merged.id]) {
          assert.ok(!ids.includes(hidden), `customer ${hidden} must not appear`);
        }
        assert.ok(items.every((item) => item.customer.businessDomain === GW));
      }
      const coldItems = await itemsOf(
        await search(env, {
          customerName: "Acme Trading Shanghai",
          businessDomain: COLD,
          unifiedSocialCreditCode: USCC,
        }, USERS.admin),
      );
      assert.deepEqual(coldItems.map((item) => item.customer.id), [cold.id]);
      assert.deepEqual(coldItems[0].reasons, ["SAME_CREDIT_CODE", "SIMILAR_NAME"]);
    });

    await t.step("a domain the user lacks is 403", async () => {
      await problemOf(
        await search(env, { customerName: "Acme", businessDomain: COLD }),
        403,
        "FORBIDDEN",
      );
      await problemOf(
        await search(env, { customerName: "Acme", businessDomain: GW }, USERS.nobody),
        403,
        "FORBIDDEN",
      );
    });

    await t.step("missing or bad parameters are 400 naming each field", async () => {
      const cases: [Record<string, string>, string[]][] = [
        [{ businessDomain: GW }, ["customerName"]],
        [{ customerName: "Acme" }, ["businessDomain"]],
        [{}, ["customerName", "businessDomain"]],
        [{ customerName: "   ", businessDomain: GW }, ["customerName"]],
        [{ customerName: "Acme", businessDomain: "MOON_BASE" }, ["businessDomain"]],
        [{ customerName: "Acme", businessDomain: GW, unifiedSocialCreditCode: "123" }, [
          "unifiedSocialCreditCode",
        ]],
        [{ customerName: "Acme", businessDomain: GW, page: "1" }, ["page"]],
      ];
      for (const [query, paths] of cases) {
        const body = await problemOf(await search(env, query), 400, "VALIDATION_FAILED");
        assert.deepEqual(
          body.errors.map((error: { path: string }) => error.path).sort(),
          [...paths].sort(),
          JSON.stringify(query),
        );
      }
    });

    await t.step("at most 20 candidates", async () => {
      for (let i = 0; i < 25; i++) {
        await insertCustomer(sql, { customerName: `Many Similar Names ${i}` });
      }
      const items = await itemsOf(
        await search(env, { customerName: "many similar names", businessDomain: GW }),
      );
      assert.equal(items.length, 20);
    });

    await t.step("the SQL name key equals normaliseCustomerName()", async () => {
      const samples = [
        "Acme Trading",
        "  ＡＣＭＥ　Ｔｒａｄｉｎｇ  ",
        "上海　阿克米\t贸易\n有限公司",
        "ÉCOLE Ⅻ ｶﾀｶﾅ ﬁne",
        "Straße  Ǆ",
        "a\u00a0b\u2003c",
      ];
      const rows = await sql<{ key: string }[]>`
        select customer_name_key(name) as key
        from unnest(${samples}::text[]) with ordinality as t(name, n) order by n`;
      assert.deepEqual(rows.map((row) => row.key), samples.map(normaliseCustomerName));
    });

    await t.step("the similar-name query reads the trigram index of its domain", async () => {
      // On a few rows any plan is cheap: drop the other customer indexes in a transaction that
      // is rolled back, so the plan shows whether the query can use the domain's partial index
      // (its expression and predicate must match the query's).
      let text = "";
      await sql.begin(async (tx) => {
        const others = await tx<{ indexname: string }[]>`
          select indexname from pg_indexes where tablename = 'customer'
            and indexname not like 'idx_customer_name_key_trgm_%'
            and indexname not in (select conname from pg_constraint)`;
        for (const { indexname } of others) await tx`drop index ${tx(indexname)}`;
        await tx`set local enable_seqscan = off`;
        const plan = await tx.unsafe(`explain select id from customer c
          where customer_name_key(c.customer_name) % 'acme trading'
            and c.status <> 'TERMINATED' and c.business_domain = 'COLD_CHAIN'`);
        text = plan.map((row) => row["QUERY PLAN"]).join("\n");
        throw new Error("rollback");
      }).catch((error) => {
        if (error.message !== "rollback") throw error;
      });
      assert.match(text, /idx_customer_name_key_trgm_cold/);
    });

    await t.step("a name just under the similarity threshold is left out", async () => {
      // similarity('acme trading shanghai', 'acme trading') is 0.59: below 0.6, above pg_trgm's
      // default 0.3, so it shows that the search's own threshold was in force (ADR 0145).
      const below = await insertCustomer(sql, { customerName: "Acme Trading" });
      const items = await itemsOf(
        await search(env, { customerName: "acme trading shanghai", businessDomain: GW }),
      );
      const ids = items.map((item) => item.customer.id);
      assert.ok(ids.includes(exact.id));
      assert.ok(!ids.includes(below.id), JSON.stringify(items));
    });
  } finally {
    await env.close();
  }
});
