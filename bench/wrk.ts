/**
 * The detail scenarios again with `wrk` (Debian package `wrk`) as a second load generator, when it
 * is installed: issue 14 asks for its figures beside the bench's own generator.
 */

/** Throughput and tail latency as wrk printed them. */
export interface WrkResult {
  rps: number;
  p99: number;
}

/** True when a `wrk` binary answers. */
export async function wrkInstalled(): Promise<boolean> {
  try {
    const { code } = await new Deno.Command("wrk", { args: ["--version"], stdout: "null" })
      .output();
    return code === 0 || code === 1; // wrk 4.1 exits 1 after printing its version
  } catch {
    return false;
  }
}

/** Walks ids `from .. from + count` in steps of `step`, like the bench's own generator. */
export async function runWrk(
  baseUrl: string,
  ids: { from: number; count: number; step: number },
  options: { connections: number; seconds: number; token?: string },
): Promise<WrkResult> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  const header = options.token ? `{["Authorization"] = "Bearer ${options.token}"}` : "{}";
  await Deno.writeTextFile(
    script,
    `local n = 0
request = function()
  n = n + 1
  local id = ${ids.from} + ((n * ${ids.step}) % ${ids.count})
  return wrk.format("GET", "/customers/" .. id, ${header})
end
`,
  );
  try {
    const { stdout } = await new Deno.Command("wrk", {
      args: [
        "-t2",
        `-c${options.connections}`,
        `-d${options.seconds}s`,
        "--latency",
        "-s",
        script,
        baseUrl,
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    const text = new TextDecoder().decode(stdout);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
    const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(text);
    const scale = { us: 0.001, ms: 1, s: 1000 } as const;
    return {
      rps: Math.round(rps),
      p99: p99 ? Number(p99[1]) * scale[p99[2] as keyof typeof scale] : NaN,
    };
  } finally {
    await Deno.remove(script);
  }
}
