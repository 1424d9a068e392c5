/**
 * The keyword mix of issue 18 per sort and user kind, timed at the repository (no HTTP), one
 * request at a time: where each keyword class spends its time, before the bench's concurrent p95.
 * Usage: DATABASE_URL=postgres://postgres@127.0.0.1/cms_bench deno task bench:keywords [--runs 5]
 *   [--short] [--reuse-estimates]
 */
import postgres from "postgres";
import {
  type CustomerSort,
  searchCustomers,
} from "../src/infrastructure/postgres/customer_list_repository.ts";
import { TOTAL_CAP } from "../src/application/customer/query_customers.ts";
import { KEYWORDS } from "./run.ts";

const ALL_DOMAINS = ["GENERAL_WAREHOUSING", "COLD_CHAIN", "BONDED_WAREHOUSING", "CROSS_BORDER"];
const USERS = { admin: ALL_DOMAINS, cold: ["COLD_CHAIN"] };
const SORTS: Record<string, CustomerSort> = {
  "-createdAt": { field: "createdAt", direction: "desc" },
  customerName: { field: "customerName", direction: "asc" },
  customerCode: { field: "customerCode", direction: "asc" },
};
const SHORT = ["上海", "ab", "a", "1"];

const runsFlag = Deno.args.indexOf("--runs");
const runs = runsFlag >= 0 ? Number(Deno.args[runsFlag + 1]) : 5;
const withShort = Deno.args.includes("--short");
// As `GET /customers` does: estimates and missed walks kept for 60 s (ADR 0115).
const estimatesTtlMs = Deno.args.includes("--reuse-estimates") ? 60_000 : undefined;
const sql = postgres(Deno.env.get("DATABASE_URL")!, { max: 1, onnotice: () => {} });
const all: number[] = [];
const words = withShort ? [...KEYWORDS, ...SHORT] : KEYWORDS;
console.log(["user", "sort", ...words].join("\t"));
for (const [user, domains] of Object.entries(USERS)) {
  for (const [sortName, sort] of Object.entries(SORTS)) {
    const cells: string[] = [];
    for (const keyword of words) {
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        const started = performance.now();
        await searchCustomers(sql, { domains, keyword }, { sort, limit: 20, offset: 0 }, {
          cap: TOTAL_CAP,
          estimatesTtlMs,
        });
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      if (KEYWORDS.includes(keyword)) all.push(...times);
      cells.push(`${times[Math.floor(times.length / 2)].toFixed(1)}`);
    }
    console.log([user, sortName, ...cells].join("\t"));
  }
}
all.sort((a, b) => a - b);
const p95 = all[Math.min(all.length - 1, Math.ceil(all.length * 0.95) - 1)];
console.log(`median per cell (ms); p95 of every run of the bench's mix: ${p95.toFixed(1)} ms`);
await sql.end();
