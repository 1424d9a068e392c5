/**
 * DEV/TEST TOOL: loads the `rb_customer` fixture into a MySQL database and can append synthetic
 * rows for benchmarks. It opens its own WRITABLE connection, unlike the service, whose pool to the
 * external source is read-only. Never point it at a real third-party database.
 *
 *   deno task load-fixture [--url mysql://root@127.0.0.1:3306/test] [--generate N] [--batch 1000]
 *     [--companies K] [--no-fixture]
 *
 * The URL defaults to EXTERNAL_MYSQL_URL.
 */
import mysql from "mysql2/promise";
import { usccCheckCharacter } from "../src/domain/customer/unified_social_credit_code.ts";
import { parseFlags } from "./cli.ts";

const FIXTURE = new URL("./fixtures/rb_customer.sql", import.meta.url);
const DOMAINS = ["GENERAL_WAREHOUSING", "COLD_CHAIN", "BONDED_WAREHOUSING", "CROSS_BORDER"];
/** Synthetic rows start here and are one second apart, after every fixture row. */
const GENERATED_EPOCH = Date.UTC(2025, 0, 1);

async function connect(url: string) {
  return await mysql.createConnection({ uri: url, multipleStatements: true, timezone: "Z" });
}

/** A valid unified social credit code of a synthetic company, unique per company number. */
function syntheticCreditCode(company: number): string {
  const first17 = `91310000${String(company).padStart(9, "0")}`;
  return first17 + usccCheckCharacter(first17);
}

/** Drops and recreates `rb_customer` and `rb_company` with the fixture's sample rows. */
export async function loadFixture(url: string): Promise<number> {
  const connection = await connect(url);
  try {
    await connection.query(await Deno.readTextFile(FIXTURE));
    const [rows] = await connection.query("select count(*) as total from rb_customer");
    return Number((rows as { total: number }[])[0].total);
  } finally {
    await connection.end();
  }
}

/** Options of generateRows. */
export interface GenerateOptions {
  /** Rows per multi-row INSERT. */
  batch?: number;
  /** Distinct companies the rows share; default one company per row. */
  companies?: number;
  /** Remote ids are `${prefix}${n}` (zero-padded to 8 digits). */
  prefix?: string;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Appends `count` valid synthetic rows spread over the four business domains, and an `rb_company`
 * row for each company they reference (kept when it exists already).
 */
export async function generateRows(
  url: string,
  count: number,
  options: GenerateOptions = {},
): Promise<void> {
  const batch = options.batch ?? 1000;
  const prefix = options.prefix ?? "GEN-";
  const connection = await connect(url);
  try {
    for (let start = 0; start < count; start += batch) {
      const values: unknown[][] = [];
      const companies = new Map<number, unknown[]>();
      for (let n = start; n < Math.min(start + batch, count); n++) {
        const id = String(n + 1).padStart(8, "0");
        const company = options.companies ? n % options.companies : n;
        companies.set(company, [
          `GENC-${company}`,
          `Synthetic company ${company}`,
          syntheticCreditCode(company),
          `Synthetic road ${company}`,
          new Date(GENERATED_EPOCH),
        ]);
        values.push([
          `${prefix}${id}`,
          `Synthetic customer ${id}`,
          `Synthetic company ${company}`,
          `GENC-${company}`,
          DOMAINS[n % DOMAINS.length],
          `Contact ${id}`,
          `1390000${String(n % 10000).padStart(4, "0")}`,
          new Date(GENERATED_EPOCH + n * 1000),
        ]);
      }
      await connection.query(
        `insert into rb_customer (remote_id, customer_name, company_name, company_ref_id,
          business_domain, contact_name, contact_phone, updated_at) values ?`,
        [values],
      );
      await connection.query(
        `insert ignore into rb_company (company_ref_id, company_name, unified_social_credit_code,
          address, updated_at) values ?`,
        [[...companies.values()]],
      );
      options.onProgress?.(start + values.length, count);
    }
  } finally {
    await connection.end();
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args);
  const url = flags.get("url") ?? Deno.env.get("EXTERNAL_MYSQL_URL");
  if (!url) {
    console.error("set --url or EXTERNAL_MYSQL_URL (a writable MySQL database for dev/test)");
    Deno.exit(1);
  }
  if (!flags.has("no-fixture")) {
    const rows = await loadFixture(url);
    console.error(`fixture loaded: rb_customer has ${rows} rows`);
  }
  const generate = Number(flags.get("generate") ?? 0);
  if (!Number.isInteger(generate) || generate < 0) {
    console.error(`--generate must be a non-negative integer, got ${flags.get("generate")}`);
    Deno.exit(1);
  }
  if (generate > 0) {
    const started = performance.now();
    await generateRows(url, generate, {
      batch: Number(flags.get("batch") ?? 1000),
      companies: flags.has("companies") ? Number(flags.get("companies")) : undefined,
      onProgress: (done, total) => {
        const rate = Math.round(done / ((performance.now() - started) / 1000));
        Deno.stderr.writeSync(new TextEncoder().encode(`\rgenerated ${done}/${total} (${rate}/s)`));
      },
    });
    console.error(`\ngenerated ${generate} synthetic rows`);
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(`load-fixture failed: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
