import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.ts";
import { createTestMysqlDatabase } from "../support/mysql.ts";

const SCRIPT = new URL("../../scripts/sync_external.ts", import.meta.url).pathname;

async function runCli(args: string[], env: Record<string, string>) {
  const inherited = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((name) => {
    const value = Deno.env.get(name);
    return value ? [[name, value]] : [];
  });
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    env: { ...Object.fromEntries(inherited), NO_COLOR: "1", LOG_LEVEL: "error", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test(
  "deno task sync-external imports the fixture with exit codes",
  async (t) => {
    const db = await createTestDatabase("sync_cli");
    const source = await createTestMysqlDatabase();
    const env = { DATABASE_URL: db.url, EXTERNAL_MYSQL_URL: source.url, DATABASE_POOL_MAX: "6" };
    try {
      await t.step("exits 1 when EXTERNAL_MYSQL_URL is unset", async () => {
        const result = await runCli([], { DATABASE_URL: db.url });
        assert.equal(result.code, 1);
        assert.match(result.stderr, /EXTERNAL_MYSQL_URL is not set/);
      });

      await t.step("exits 1 on a bad flag, before touching anything", async () => {
        for (const args of [["--since", "yesterday"], ["--bogus"]]) {
          const result = await runCli(args, env);
          assert.equal(result.code, 1, args.join(" "));
          assert.match(result.stderr, /usage: deno task sync-external/);
        }
      });

      await t.step("exits 2 with a summary and progress when some rows fail", async () => {
        const result = await runCli(["--batch", "5"], env);
        assert.equal(result.code, 2, result.stderr);
        assert.match(
          result.stdout,
          /sync-external finished: 14 rows, imported 10, skipped 0, failed 4 in/,
        );
        for (const remoteId of ["RB-BAD-DOMAIN", "RB-BAD-LONGNAME", "RB-BAD-REF"]) {
          assert.match(result.stdout, new RegExp(`FAILED ${remoteId} VALIDATION_FAILED`));
        }
        assert.match(result.stdout, /FAILED RB-BAD-NOCOMPANY COMPANY_NOT_FOUND/);
        assert.match(result.stderr, /sync-external: 14\/14 rows \(100%\), \d+ rows\/s, 4 failed/);
        // The imported pages are made all-visible at once (ADR 0144); the test server runs
        // without autovacuum, so only the CLI's own VACUUM sets these.
        assert.match(result.stderr, /sync-external: vacuumed the imported tables in \d+ ms/);
        const vacuumed = await db.sql<{ relname: string }[]>`
          select relname from pg_stat_user_tables
          where relname in ('customer', 'company') and last_vacuum is not null order by relname`;
        assert.deepEqual(vacuumed.map(({ relname }) => relname), ["company", "customer"]);
        const customers = await db.sql`select operation_uid, operation_name, business_domain
        from customer`;
        assert.equal(customers.length, 10);
        assert.ok(
          customers.every((row) =>
            row.operation_uid === "system-sync" && row.operation_name === "External sync"
          ),
        );
        assert.equal(new Set(customers.map((row) => row.business_domain)).size, 4);
        const traces = await db
          .sql`select distinct trace_id, operation_uid from external_system_sync`;
        assert.equal(traces.length, 1, "one trace id for the whole run");
        assert.match(result.stdout, new RegExp(`trace id ${traces[0].trace_id}`));
      });

      await t.step("a second run skips every imported row; exit 0 when nothing fails", async () => {
        const again = await runCli(["--json"], env);
        assert.equal(again.code, 2);
        const summary = JSON.parse(again.stdout);
        assert.equal(summary.imported, 0);
        assert.equal(summary.skipped, 10);
        assert.equal(summary.failed, 4);
        assert.equal(summary.failures.length, 4);

        const clean = await runCli([
          "--json",
          "--async-commit",
          "--remote-ids",
          "RB-GW-0001,RB-CC-0002",
        ], {
          ...env,
          SYNC_OPERATOR_UID: "ops-robot",
        });
        assert.equal(clean.code, 0, clean.stderr);
        assert.deepEqual(
          { ...JSON.parse(clean.stdout), seconds: 0, traceId: "" },
          { imported: 0, skipped: 2, failed: 0, rows: 2, seconds: 0, traceId: "", failures: [] },
        );
        const since = await runCli(["--since", "2024-03-02T00:00:00Z", "--json"], env);
        assert.equal(since.code, 2);
        assert.equal(JSON.parse(since.stdout).rows, 5);
      });
    } finally {
      await db.drop();
      await source.drop();
    }
  },
);
