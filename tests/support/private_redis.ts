import { freePort } from "./service_process.ts";

/** A redis-server of the test's own on a free loopback port, to kill and restart at will. */
export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILL: connections drop at once, nothing is saved. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty) and waits until it answers. */
  start(): Promise<void>;
}

async function answers(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(new TextEncoder().encode("PING\r\n"));
      const buffer = new Uint8Array(16);
      const read = await conn.read(buffer);
      return new TextDecoder().decode(buffer.subarray(0, read ?? 0)).startsWith("+PONG");
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}

/** Starts `redis-server` (Debian's, on the PATH) on its own port, without persistence. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = freePort();
  let child: Deno.ChildProcess | undefined;
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      if (!child) return;
      child.kill("SIGKILL");
      await child.status;
      child = undefined;
    },
    async start() {
      child = new Deno.Command("redis-server", {
        args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const deadline = Date.now() + 5_000;
      while (!(await answers(port))) {
        if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
  await redis.start();
  return redis;
}
