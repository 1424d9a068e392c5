/**
 * Scenarios of issue 18 the load generator cannot express: one client walking a whole list by
 * cursor, and one export read to the end while the service's RSS is sampled.
 */
import { residentMiB } from "./processes.ts";

/** Rows per second of a sequential walk, and how many pages it took. */
export interface WalkResult {
  rows: number;
  pages: number;
  seconds: number;
  rowsPerSecond: number;
  /** Ids seen twice: must be 0. */
  repeated: number;
}

/** Walks `GET {base}/customers?pageSize=100` by nextCursor to the end (or `maxRows`). */
export async function cursorWalk(
  baseUrl: string,
  token: string,
  options: { query?: string; maxRows?: number } = {},
): Promise<WalkResult> {
  const headers = { authorization: `Bearer ${token}` };
  const base = `${baseUrl}/customers?pageSize=100${options.query ? `&${options.query}` : ""}`;
  const seen = new Set<number>();
  let repeated = 0;
  let pages = 0;
  let url = base;
  const started = performance.now();
  for (;;) {
    const response = await fetch(url, { headers });
    if (response.status !== 200) {
      throw new Error(`cursor walk: ${response.status} ${await response.text()}`);
    }
    const body = await response.json() as { items: { id: number }[]; nextCursor: string | null };
    pages++;
    for (const item of body.items) seen.has(item.id) ? repeated++ : seen.add(item.id);
    if (!body.nextCursor || (options.maxRows && seen.size >= options.maxRows)) break;
    url = `${base}&cursor=${encodeURIComponent(body.nextCursor)}`;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    rows: seen.size,
    pages,
    seconds,
    rowsPerSecond: Math.round(seen.size / seconds),
    repeated,
  };
}

/** Rows per second of one export and the service's peak RSS while it ran. */
export interface ExportResult {
  rows: number;
  bytes: number;
  seconds: number;
  rowsPerSecond: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
}

/** Reads `GET {base}/customers/export` (CSV or NDJSON) to the end, sampling RSS every 100 ms. */
export async function exportRun(
  baseUrl: string,
  token: string,
  servicePid: number,
  format: "csv" | "ndjson" = "csv",
): Promise<ExportResult> {
  const rssBeforeMiB = residentMiB(servicePid);
  let peakRssMiB = rssBeforeMiB;
  const sampler = setInterval(() => {
    peakRssMiB = Math.max(peakRssMiB, residentMiB(servicePid));
  }, 100);
  const started = performance.now();
  try {
    const response = await fetch(`${baseUrl}/customers/export`, {
      headers: {
        authorization: `Bearer ${token}`,
        ...(format === "ndjson" ? { accept: "application/x-ndjson" } : {}),
      },
    });
    if (response.status !== 200) {
      throw new Error(`export: ${response.status} ${await response.text()}`);
    }
    let bytes = 0;
    let lines = 0;
    for await (const chunk of response.body!) {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 0x0a) lines++;
    }
    const rows = format === "csv" ? lines - 1 : lines;
    const seconds = (performance.now() - started) / 1000;
    peakRssMiB = Math.max(peakRssMiB, residentMiB(servicePid));
    return {
      rows,
      bytes,
      seconds,
      rowsPerSecond: Math.round(rows / seconds),
      rssBeforeMiB,
      peakRssMiB,
    };
  } finally {
    clearInterval(sampler);
  }
}
