import assert from "node:assert/strict";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

const ROOT = new URL("../../", import.meta.url);

async function seed(databaseUrl: string, ...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/seed.ts", ...args],
    cwd: ROOT,
    env: { DATABASE_URL: databaseUrl, LOG_LEVEL: "warn" },
  }).output();
  const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(code, 0, output);
  return output;
}

async function count(sql: TestDatabase["sql"], table: string): Promise<number> {
  const [row] = await sql.unsafe(`select count(*)::int as n from ${table}`);
  return row.n;
}

Deno.test("deno task seed writes demo data across all domains", async (t) => {
  const db = await createTestDatabase("seed", { migrated: false });
  try {
    await t.step("a first run migrates and seeds with progress lines", async () => {
      const output = await seed(db.url, "--customers", "400", "--batch", "150");
      assert.match(output, /^customers +150\/400 +37\.5% +[\d,]+ rows\/s$/m);
      assert.match(output, /^customers +400\/400 100\.0%/m);
      assert.equal(await count(db.sql, "customer"), 400);
      assert.equal(await count(db.sql, "company"), 20, "one company per 20 customers");
      assert.equal(await count(db.sql, "customer_group"), 20, "five groups per domain");
      assert.ok(await count(db.sql, "customer_group_member") > 100);
      assert.ok(await count(db.sql, "external_system_sync where sync_status = 'FAILED'") > 0);
      assert.ok(await count(db.sql, "external_system_sync where sync_status = 'SUCCESS'") > 0);
      assert.equal(await count(db.sql, "role_domain_mapping"), 6);
      // Vacuumed after the load: the keyword walks stay index-only (ADR 0069).
      const [{ visible }] = await db.sql<{ visible: number }[]>`
        select relallvisible::int as visible from pg_class where oid = 'customer'::regclass`;
      assert.ok(visible > 0, "the visibility map is set");
    });

    await t.step("customers are mixed and follow the code formats", async () => {
      const mix = await db.sql`
        select count(distinct status)::int as statuses, count(distinct source)::int as sources,
          count(distinct business_domain)::int as domains,
          count(distinct company_id)::int as companies,
          max(char_length(customer_name))::int as longest,
          count(*) filter (where customer_name ~ '[\u4e00-\u9fff]')::int as chinese,
          count(*) filter (where customer_name ~ '^[A-Z][a-z]')::int as english
        from customer`;
      const { statuses, sources, domains, companies, longest, chinese, english } = mix[0];
      assert.deepEqual([statuses, sources, domains, companies], [4, 3, 4, 20]);
      assert.ok(longest <= 200, `customer_name fits 200 characters (longest ${longest})`);
      assert.ok(chinese > 0 && english > 0, "Chinese and English names");
      const bad = await db.sql`
        select customer_code from customer
        where not (
          (source = 'MANUAL' and external_code is null and customer_code ~ '^MN-[0-9]{8}$')
          or (source = 'RB' and customer_code = 'RB-' || external_code)
          or (source = 'ERP' and customer_code = 'ERP-' || external_code)
        )`;
      assert.deepEqual([...bad], []);
      const [{ last }] = await db.sql`select last_value::int as last from customer_code_seq`;
      const [{ manual }] = await db
        .sql`select count(*)::int as manual from customer where source = 'MANUAL'`;
      assert.equal(last, manual, "MANUAL codes come from customer_code_seq");
      const members = await db.sql`
        select count(*)::int as n from customer_group_member m
        join customer c on c.id = m.customer_id join customer_group g on g.id = m.group_id
        where c.business_domain <> g.business_domain or c.status = 'TERMINATED'`;
      assert.equal(members[0].n, 0, "members are non-terminated customers of the group's domain");
      const sync = await db.sql`
        select count(*)::int as n from external_system_sync s join customer c on c.id = s.entity_id
        where s.sync_status = 'SUCCESS' and (c.source <> 'RB' or s.remote_id <> c.external_code)`;
      assert.equal(sync[0].n, 0, "SUCCESS rows point at RB customers by remote id");
    });

    await t.step("a second run adds to the data without conflicts", async () => {
      await seed(db.url, "--customers", "100");
      assert.equal(await count(db.sql, "customer"), 500);
    });

    await t.step("--reset starts over; --bulk keeps every index and foreign key", async () => {
      const schema = () =>
        db.sql`
        select (select array_agg(indexname::text order by indexname) from pg_indexes
                where tablename = 'customer') as indexes,
               (select array_agg(conname::text order by conname) from pg_constraint
                where conrelid = 'customer'::regclass) as constraints`;
      const [before] = [...await schema()];
      const output = await seed(db.url, "--reset", "--bulk", "--customers", "120");
      assert.match(output, /bulk load/);
      assert.equal(await count(db.sql, "customer"), 120);
      assert.equal(await count(db.sql, "company"), 10);
      assert.equal(await count(db.sql, "customer_group"), 20);
      const [{ first }] = await db.sql`select min(customer_code) as first from customer
        where source = 'MANUAL'`;
      assert.equal(first, "MN-00000001", "the code sequence restarts");
      const [after] = [...await schema()];
      assert.deepEqual(after, before);
    });

    await t.step("a bad flag is refused with the usage", async () => {
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "scripts/seed.ts", "--customers", "zero"],
        cwd: ROOT,
        env: { DATABASE_URL: db.url },
      }).output();
      assert.equal(code, 2);
      assert.match(new TextDecoder().decode(stderr), /--customers must be an integer/);
    });
  } finally {
    await db.drop();
  }
});
