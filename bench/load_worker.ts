/**
 * Runs one load scenario in its own process, so the generator never shares an event loop with the
 * server it measures. Usage: deno run -A bench/load_worker.ts '<LoadScenario JSON>'
 * Prints one line of JSON: the LoadResult.
 */
import { runLoad } from "./load_generator.ts";

/** What bench/run.ts asks a worker to send. */
export interface LoadScenario {
  /** URLs cycled in order, or a template whose `{id}` is replaced (see `ids`). */
  urls?: string[];
  template?: string;
  /** With a template: the i-th request asks `from + (i * step) % count`. */
  ids?: { from: number; count: number; step?: number };
  headers?: Record<string, string>;
  connections: number;
  durationMs: number;
  warmupMs?: number;
}

/** Builds the request factory of a scenario. */
export function requestFactory(scenario: LoadScenario): (index: number) => { url: string } {
  if (scenario.urls?.length) {
    const urls = scenario.urls;
    return (index) => ({ url: urls[index % urls.length] });
  }
  if (!scenario.template || !scenario.ids) {
    throw new Error("a scenario needs urls, or a template with ids");
  }
  const { template } = scenario;
  const { from, count, step = 1 } = scenario.ids;
  return (index) => ({ url: template.replace("{id}", String(from + ((index * step) % count))) });
}

if (import.meta.main) {
  const scenario = JSON.parse(Deno.args[0] ?? "{}") as LoadScenario;
  const next = requestFactory(scenario);
  const init: RequestInit = { headers: scenario.headers ?? {} };
  const result = await runLoad((index) => ({ ...next(index), init }), {
    connections: scenario.connections,
    durationMs: scenario.durationMs,
    warmupMs: scenario.warmupMs,
  });
  console.log(JSON.stringify(result));
}
