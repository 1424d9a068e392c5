/** Tables and PASS/MISS lines of a benchmark run. */
import type { LoadResult } from "./load_generator.ts";

/** One measured scenario; `floor` is the floor's run it is compared with, if any. */
export interface ScenarioResult extends LoadResult {
  name: string;
  floor?: LoadResult;
}

/** One target of issue 9, decided. */
export interface TargetResult {
  name: string;
  pass: boolean;
  measured: string;
}

function cell(value: string | number, width: number): string {
  return String(value).padStart(width);
}

/** The per-scenario table: requests/s, p50/p95/p99 (ms) and the service/floor ratio. */
export function scenarioTable(results: ScenarioResult[]): string {
  const header = `${"scenario".padEnd(34)}${cell("req/s", 9)}${cell("p50 ms", 9)}` +
    `${cell("p95 ms", 9)}${cell("p99 ms", 9)}${cell("x floor", 9)}${cell("errors", 8)}`;
  const lines = results.map((result) => {
    const ratio = result.floor ? (result.rps / result.floor.rps).toFixed(2) : "";
    return `${result.name.padEnd(34)}${cell(result.rps, 9)}${cell(result.p50, 9)}` +
      `${cell(result.p95, 9)}${cell(result.p99, 9)}${cell(ratio, 9)}` +
      `${cell(result.errors + result.non2xx, 8)}`;
  });
  return [header, "-".repeat(header.length), ...lines].join("\n");
}

/** `PASS`/`MISS` lines, one per target. */
export function targetLines(targets: TargetResult[]): string {
  return targets
    .map((target) =>
      `${target.pass ? "PASS" : "MISS"}  ${target.name.padEnd(58)} ${target.measured}`
    )
    .join("\n");
}

/** Floor targets: throughput >= `throughput`x the floor's and p99 <= `p99`x the floor's. */
export function floorTargets(
  result: ScenarioResult,
  limits: { throughput: number; p99: number; issue: number } = {
    throughput: 0.7,
    p99: 2,
    issue: 9,
  },
): TargetResult[] {
  if (!result.floor) return [];
  const ratio = result.rps / result.floor.rps;
  const p99Ratio = result.p99 / result.floor.p99;
  const clean = result.errors + result.non2xx === 0;
  const tag = `[#${limits.issue}]`;
  return [
    {
      name: `${result.name}: throughput >= ${limits.throughput}x floor ${tag}`,
      pass: clean && ratio >= limits.throughput,
      measured: `${ratio.toFixed(2)}x (${result.rps} vs ${result.floor.rps} req/s)` +
        (clean ? "" : `, ${result.errors + result.non2xx} failed requests`),
    },
    {
      name: `${result.name}: p99 <= ${limits.p99}x floor ${tag}`,
      pass: clean && p99Ratio <= limits.p99,
      measured: `${p99Ratio.toFixed(2)}x (${result.p99} vs ${result.floor.p99} ms)`,
    },
  ];
}

/** A latency target on a percentile of a scenario. */
export function latencyTarget(
  result: ScenarioResult,
  percentile: "p50" | "p95" | "p99",
  limitMs: number,
): TargetResult {
  const clean = result.errors + result.non2xx === 0;
  return {
    name: `${result.name}: ${percentile} <= ${limitMs} ms`,
    pass: clean && result[percentile] <= limitMs,
    measured: `${result[percentile]} ms` +
      (clean ? "" : `, ${result.errors + result.non2xx} failed requests`),
  };
}
