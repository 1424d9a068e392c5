import assert from "node:assert/strict";
import { migrate, readMigrations } from "../../src/infrastructure/postgres/migrator.ts";
import { createTestDatabase } from "../support/database.ts";

Deno.test("migrations apply on an empty database, then are idempotent", async () => {
  const db = await createTestDatabase("migrator", { migrated: false });
  try {
    const files = (await readMigrations()).map((migration) => migration.name);
    assert.deepEqual(await migrate(db.sql), files);
    assert.deepEqual(await migrate(db.sql), []);
    const tables = (await db.sql<{ table_name: string }[]>`
      select table_name from information_schema.tables
      where table_schema = 'public' order by table_name`).map((row) => row.table_name);
    for (
      const table of [
        "business_domain",
        "company",
        "customer",
        "customer_group",
        "customer_group_member",
        "domain_event",
        "external_system_sync",
        "role_domain_mapping",
        "schema_migrations",
      ]
    ) assert.ok(tables.includes(table), `missing table ${table}`);
    const domains = await db.sql`select code from business_domain order by code`;
    assert.deepEqual(domains.map((row) => row.code), [
      "BONDED_WAREHOUSING",
      "COLD_CHAIN",
      "CROSS_BORDER",
      "GENERAL_WAREHOUSING",
    ]);
    const indexes = (await db.sql<{ indexname: string }[]>`
      select indexname from pg_indexes where schemaname = 'public'`).map((row) => row.indexname);
    for (const index of ["idx_group_member_customer", "idx_customer_search_infix_trgm"]) {
      assert.ok(indexes.includes(index), `missing index ${index}`);
    }
    // ADR 0069: inserts trigger autovacuum early, and the code order reads the unique index.
    const [{ options }] = await db.sql<{ options: string[] }[]>`
      select reloptions as options from pg_class where oid = 'customer'::regclass`;
    assert.deepEqual(options, ["autovacuum_vacuum_insert_scale_factor=0.01"]);
    const [{ definition }] = await db.sql<{ definition: string }[]>`
      select pg_get_indexdef('customer_customer_code_key'::regclass) as definition`;
    assert.match(
      definition,
      /UNIQUE INDEX .*\(customer_code\) INCLUDE \(id, business_domain, search_key\)/,
    );
    const [{ next }] = await db.sql`select nextval('customer_code_seq') as next`;
    assert.equal(next, 1);
  } finally {
    await db.drop();
  }
});

Deno.test("two concurrent migration runners do not race", async () => {
  const db = await createTestDatabase("migrator_race", { migrated: false });
  try {
    const results = await Promise.all([migrate(db.sql), migrate(db.sql), migrate(db.sql)]);
    const applied = results.flat();
    assert.deepEqual(applied, (await readMigrations()).map((migration) => migration.name));
    const [{ count }] = await db.sql`select count(*)::int as count from schema_migrations`;
    assert.equal(count, applied.length);
  } finally {
    await db.drop();
  }
});

Deno.test("the customer constraints hold in the schema", async () => {
  const db = await createTestDatabase("schema_rules");
  try {
    await assert.rejects(
      db.sql`insert into company (company_code, company_name, source) values ('C1', 'Co', 'RB')`,
      (error: { constraint_name?: string }) =>
        error.constraint_name === "company_source_ref_required",
    );
    const [company] = await db.sql`
      insert into company (company_code, company_name, source) values ('C1', 'Co', 'MANUAL')
      returning id`;
    await assert.rejects(
      db.sql`
        insert into customer (customer_code, customer_name, company_id, business_domain, source,
          operation_uid, operation_name)
        values ('MN-1', 'A', ${company.id}, 'NOPE', 'MANUAL', 'u', 'n')`,
      (error: { code?: string }) => error.code === "23503",
    );
  } finally {
    await db.drop();
  }
});
