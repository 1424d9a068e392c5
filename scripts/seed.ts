/**
 * `deno task seed [--customers N] [--companies N] [--batch N] [--bulk] [--reset]`: demo data across all
 * domains (companies, customers, groups with members, sync records, role mappings) in the
 * configured Postgres, or the embedded one when DATABASE_URL is unset.
 */
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/infrastructure/postgres/database.ts";
import {
  insertDemoCompanies,
  insertDemoCustomers,
  insertDemoGroups,
  insertDemoRoleMappings,
  insertDemoSyncRecords,
  nextCompanyId,
  resetDemoData,
  vacuumAnalyzeDemoTables,
  withoutCustomerSecondaryIndexes,
} from "../src/infrastructure/postgres/demo_seed_repository.ts";
import { migrate } from "../src/infrastructure/postgres/migrator.ts";
import { DEMO_GROUP_NAMES, DEMO_ROLE_MAPPINGS, DEMO_WORDS } from "./demo_words.ts";
import { exitOnConfigError, parseFlags } from "./cli.ts";

const USAGE =
  "usage: deno task seed [--customers N] [--companies N] [--batch N] [--bulk] [--reset]\n" +
  "  --customers  customers to add (default 10000)\n" +
  "  --companies  companies to add (default customers / 20, at least 10)\n" +
  "  --batch      rows per statement (default 50000)\n" +
  "  --bulk       rebuild customer indexes after the load (automatic from 100000 customers)\n" +
  "  --reset      delete all companies, customers, groups, sync records and events first";

/** From this many customers on, rebuilding the indexes once beats maintaining them per row. */
const BULK_THRESHOLD = 100_000;

function positiveInt(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1 || value > 50_000_000) {
    throw new Error(`--${name} must be an integer from 1 to 50000000, got ${raw}`);
  }
  return value;
}

function rate(rows: number, startedAt: number): string {
  const seconds = Math.max((performance.now() - startedAt) / 1000, 0.001);
  return `${Math.round(rows / seconds).toLocaleString("en-US")} rows/s`;
}

/** Inserts `total` rows in batches, printing one progress line per batch. */
async function inBatches(
  label: string,
  total: number,
  batch: number,
  insert: (from: number, to: number) => Promise<number>,
): Promise<number> {
  const startedAt = performance.now();
  let done = 0;
  for (let from = 1; from <= total; from += batch) {
    const to = Math.min(from + batch - 1, total);
    done += await insert(from, to);
    const percent = ((done / total) * 100).toFixed(1).padStart(5);
    console.log(`${label.padEnd(10)} ${done}/${total} ${percent}%  ${rate(done, startedAt)}`);
  }
  return done;
}

let flags: Map<string, string>;
let customers: number, companies: number, batch: number;
try {
  flags = parseFlags(Deno.args);
  if (flags.has("help")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  customers = positiveInt(flags, "customers", 10_000);
  companies = positiveInt(flags, "companies", Math.max(10, Math.ceil(customers / 20)));
  batch = positiveInt(flags, "batch", 50_000);
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  Deno.exit(2);
}

// Bulk statements may run longer than a request should: no statement timeout for the seed.
const config = exitOnConfigError(() =>
  loadConfig({ ...Deno.env.toObject(), DATABASE_STATEMENT_TIMEOUT_MS: "0" })
);
const db = await openDatabase(config);
const startedAt = performance.now();
try {
  await migrate(db.sql);
  // One transaction: a failed or interrupted seed leaves nothing behind (sequences aside).
  const summary = await db.sql.begin(async (tx) => {
    if (flags.get("reset") === "true") {
      await resetDemoData(tx);
      console.log("reset: companies, customers, groups, sync records and events deleted");
    }
    // A per-run tag keeps external codes and remote ids unique when seeding again without --reset.
    const tag = `D${Date.now().toString(36).toUpperCase()}`;
    const roleMappings = await insertDemoRoleMappings(tx, DEMO_ROLE_MAPPINGS);
    const firstCompanyId = await nextCompanyId(tx);
    const companyCount = await inBatches(
      "companies",
      companies,
      batch,
      (from, to) => insertDemoCompanies(tx, { tag, from, to, words: DEMO_WORDS }),
    );
    const loadCustomers = () =>
      inBatches(
        "customers",
        customers,
        batch,
        (from, to) =>
          insertDemoCustomers(tx, {
            tag,
            from,
            to,
            total: customers,
            firstCompanyId,
            companyCount,
            words: DEMO_WORDS,
          }),
      );
    let customerCount;
    if (customers >= BULK_THRESHOLD || flags.get("bulk") === "true") {
      console.log("bulk load: customer indexes and foreign keys are rebuilt after the load");
      const indexStartedAt = { value: 0 };
      customerCount = await withoutCustomerSecondaryIndexes(tx, async () => {
        const count = await loadCustomers();
        indexStartedAt.value = performance.now();
        return count;
      });
      const seconds = ((performance.now() - indexStartedAt.value) / 1000).toFixed(1);
      console.log(`indexes    rebuilt in ${seconds} s`);
    } else {
      customerCount = await loadCustomers();
    }
    const { groups, members } = await insertDemoGroups(tx, {
      tag,
      membersPerGroup: 20,
      groupNames: DEMO_GROUP_NAMES,
    });
    console.log(`groups     ${groups} groups, ${members} members`);
    const syncRecords = await insertDemoSyncRecords(tx, { tag, limit: 1_000, failed: 12 });
    console.log(`sync       ${syncRecords} external_system_sync rows`);
    return (
      `run ${tag}: ${companyCount} companies, ${customerCount} customers, ${groups} groups, ` +
      `${members} members, ${syncRecords} sync records, ${roleMappings} role mappings`
    );
  });
  await vacuumAnalyzeDemoTables(db.sql);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(`seeded (${db.kind}) in ${seconds} s, ${summary}`);
} catch (error) {
  console.error(`seed failed: ${(error as Error).message}`);
  Deno.exitCode = 1;
} finally {
  await db.close();
}
