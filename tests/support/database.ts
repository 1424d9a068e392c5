import postgres from "postgres";
import { openPool, type Sql } from "../../src/infrastructure/postgres/database.ts";
import { migrate } from "../../src/infrastructure/postgres/migrator.ts";

/** The real Postgres of the machine (trust auth); override with TEST_PG_ADMIN_URL. */
export const ADMIN_URL = Deno.env.get("TEST_PG_ADMIN_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh database of one test file, dropped by drop(). */
export interface TestDatabase {
  name: string;
  url: string;
  /** A small pool on the database, for assertions on rows. */
  sql: Sql;
  drop(): Promise<void>;
}

function randomSuffix(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 12);
}

/**
 * Creates an empty database (migrated unless `migrated: false`) named after the test file;
 * `createOptions` follow `create database` (a template, a locale provider).
 */
export async function createTestDatabase(
  label: string,
  options: { migrated?: boolean; createOptions?: string } = {},
): Promise<TestDatabase> {
  const name = `cms_${label.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomSuffix()}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}" ${options.createOptions ?? ""}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const sql = openPool(url.toString(), { max: 4, connectTimeoutSeconds: 5 });
  if (options.migrated !== false) await migrate(sql);
  return {
    name,
    url: url.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await cleanup.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await cleanup.end({ timeout: 5 });
      }
    },
  };
}
