import { TEST_SECRET } from "./tokens.ts";

const ROOT = new URL("../../", import.meta.url);

/** A free loopback port (closed again at once, so a child process can listen on it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts `src/main.ts` as a child process on `port` against `databaseUrl`, with nothing else
 * configured (no replica, Redis or MySQL) unless `env` says so.
 */
export function spawnService(
  options: {
    port: number;
    databaseUrl: string;
    env?: Record<string, string>;
    stdout?: "piped" | "null";
  },
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/main.ts"],
    cwd: ROOT,
    env: {
      APP_ENV: "test",
      HOST: "127.0.0.1",
      PORT: String(options.port),
      DATABASE_URL: options.databaseUrl,
      DATABASE_READ_URL: "",
      REDIS_URL: "",
      EXTERNAL_MYSQL_URL: "",
      JWT_SECRET: TEST_SECRET,
      ...options.env,
    },
    stdout: options.stdout ?? "null",
    stderr: "inherit",
  }).spawn();
}
