import type { Sql } from "./database.ts";

/** Arbitrary constant shared by every instance: the key of the migration advisory lock. */
const MIGRATION_LOCK_KEY = 724_311_001;

const DEFAULT_DIRECTORY = new URL("../../../migrations/", import.meta.url);

/** A migration file: its name (the record key) and its SQL. */
export interface Migration {
  name: string;
  sql: string;
}

/** Reads `NNNN_name.sql` files of a directory in name order. */
export async function readMigrations(directory: URL = DEFAULT_DIRECTORY): Promise<Migration[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(directory)) {
    if (entry.isFile && /^\d{4}_[a-z0-9_]+\.sql$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  return await Promise.all(
    names.map(async (name) => ({ name, sql: await Deno.readTextFile(new URL(name, directory)) })),
  );
}

/**
 * Applies pending migrations in one transaction under a transaction-scoped advisory lock, so two
 * starting instances cannot race (also behind PgBouncer in transaction pooling). Answers the
 * names it applied.
 */
export async function migrate(sql: Sql, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? await readMigrations();
  return await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    // The pool's per-statement timeout is for requests: a migration rewriting or indexing a table
    // of a million customers takes minutes (migration 0010).
    await tx`set local statement_timeout = '30min'`;
    await tx`
      create table if not exists schema_migrations (
        name text primary key,
        applied_at timestamptz not null default now()
      )`;
    const applied = new Set(
      (await tx<{ name: string }[]>`select name from schema_migrations`).map((row) => row.name),
    );
    const done: string[] = [];
    for (const migration of all) {
      if (applied.has(migration.name)) continue;
      await tx.unsafe(migration.sql);
      await tx`insert into schema_migrations (name) values (${migration.name})`;
      done.push(migration.name);
    }
    return done;
  });
}
