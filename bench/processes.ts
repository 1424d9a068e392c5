/**
 * Subprocesses of a benchmark run: the service instances, the floor, load workers, seed and sync.
 * Every long-lived child is tracked so a failure or Ctrl-C never leaves a server behind.
 */

const children = new Set<Deno.ChildProcess>();

/** A server started by the benchmark. */
export interface Server {
  name: string;
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first 200 of `readyPath`. */
  readyMs: number;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (closed again at once; good enough on a quiet machine). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function stopChild(child: Deno.ChildProcess, timeoutMs = 5_000): Promise<void> {
  if (!children.has(child)) return;
  children.delete(child);
  try {
    child.kill("SIGTERM");
  } catch {
    return; // already gone
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited meanwhile */ }
  }, timeoutMs);
  await child.status.catch(() => {});
  clearTimeout(timer);
}

/** Stops every child still running (SIGTERM, then SIGKILL after 5 s). */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child)));
}

/**
 * Spawns `deno run -A <script>` with `env` and waits until `readyPath` answers 200; its output is
 * passed through (the service logs only warnings at LOG_LEVEL=warn).
 */
export async function startServer(
  name: string,
  script: string,
  options: {
    env: Record<string, string>;
    port: number;
    args?: string[];
    readyPath: string;
    /** Flags of `deno run` before the script, e.g. the V8 flags of `deno task start`. */
    denoFlags?: string[];
  },
): Promise<Server> {
  const startedAt = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...(options.denoFlags ?? []), script, ...(options.args ?? [])],
    env: options.env,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  children.add(child);
  const url = `http://127.0.0.1:${options.port}`;
  let exited = false;
  child.status.then(() => exited = true);
  while (true) {
    if (exited) throw new Error(`${name} exited before it was ready`);
    if (performance.now() - startedAt > 30_000) {
      await stopChild(child);
      throw new Error(`${name} was not ready within 30 s`);
    }
    try {
      const response = await fetch(`${url}${options.readyPath}`);
      await response.body?.cancel();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    name,
    url,
    pid: child.pid,
    readyMs: Math.round(performance.now() - startedAt),
    stop: () => stopChild(child),
  };
}

/** Runs `deno run -A <script> <args>` to completion; its output is passed through unless captured. */
export async function runScript(
  script: string,
  args: string[],
  options: { env: Record<string, string>; captureStdout?: boolean },
): Promise<{ code: number; stdout: string; ms: number }> {
  const startedAt = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    env: options.env,
    stdin: "null",
    stdout: options.captureStdout ? "piped" : "inherit",
    stderr: "inherit",
  }).spawn();
  children.add(child);
  try {
    if (!options.captureStdout) {
      const { code } = await child.status;
      return { code, stdout: "", ms: performance.now() - startedAt };
    }
    const output = await child.output();
    const stdout = new TextDecoder().decode(output.stdout);
    return { code: output.code, stdout, ms: performance.now() - startedAt };
  } finally {
    children.delete(child);
  }
}

/** The resident set size of a process in MiB (VmRSS of /proc/<pid>/status). */
export function residentMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = status.match(/^VmRSS:\s+(\d+)\s+kB$/m);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Math.round((Number(match[1]) / 1024) * 10) / 10;
}
