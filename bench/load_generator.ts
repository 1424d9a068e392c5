/**
 * A closed-loop HTTP load generator: `connections` workers each send the next request as soon as
 * the previous answer is read, for `durationMs`. Exact percentiles from every latency sample.
 * Run in its own process (bench/run.ts does) so it does not share a CPU loop with the server.
 */

/** What one run measured. */
export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
}

/** The i-th request of a worker: URL plus optional init. */
export type RequestFactory = (index: number) => { url: string; init?: RequestInit };

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)] * 100) / 100;
}

/** Runs the load and answers throughput and latency percentiles (ms). */
export async function runLoad(
  next: RequestFactory,
  options: { connections: number; durationMs: number; warmupMs?: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let counter = 0;
  const warmupEnd = performance.now() + (options.warmupMs ?? 0);
  const end = warmupEnd + options.durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const { url, init } = next(counter++);
      const started = performance.now();
      try {
        const response = await fetch(url, init);
        await response.arrayBuffer();
        if (started < warmupEnd) continue;
        if (response.status < 200 || response.status >= 300) non2xx++;
        latencies.push(performance.now() - started);
      } catch {
        if (started >= warmupEnd) errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    non2xx,
    rps: Math.round(latencies.length / (options.durationMs / 1000)),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}
