/** `deno task migrate`: applies pending migrations to the configured (or embedded) Postgres. */
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/infrastructure/postgres/database.ts";
import { migrate } from "../src/infrastructure/postgres/migrator.ts";
import { exitOnConfigError } from "./cli.ts";

const config = exitOnConfigError(loadConfig);
const db = await openDatabase(config);
try {
  const applied = await migrate(db.sql);
  console.log(
    applied.length === 0
      ? `migrations: up to date (${db.kind})`
      : `migrations applied (${db.kind}): ${applied.join(", ")}`,
  );
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  Deno.exitCode = 1;
} finally {
  await db.close();
}
