/**
 * The scale-out fleet on one machine: a Postgres primary and a streaming replica of their own,
 * PgBouncer (transaction pooling), Redis, N service instances and HAProxy in front. Every part
 * runs detached with a pid file under one work directory, so `up`, `status` and `down` can be
 * separate commands and a test can tear everything down from its `finally`.
 */
import postgres from "postgres";
import { ensurePackages } from "./packages.ts";
import { haproxyConfig, pgbouncerConfig } from "./configs.ts";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const REPO = new URL("../../", import.meta.url).pathname;
export const DATABASE = "customer";
/** The HS256 secret of the fleet (the tests' secret, so their tokens work here too). */
export const FLEET_SECRET = "test-secret-of-at-least-32-bytes-long!!";

export interface FleetOptions {
  /** Work directory holding data, configs, logs and pid files. */
  dir: string;
  /** Ports are basePort + 0..9 (see `ports`). */
  basePort: number;
  instances: number;
  /** Extra environment of every service instance. */
  env?: Record<string, string>;
  /** Instance numbers (0-based) that run from the container image instead of a process. */
  containerInstances?: number[];
}

export function ports(basePort: number) {
  return {
    primary: basePort,
    replica: basePort + 1,
    pgbouncer: basePort + 2,
    redis: basePort + 3,
    haproxy: basePort + 4,
    stats: basePort + 5,
    instance: (index: number) => basePort + 10 + index,
  };
}

const isRoot = Deno.uid() === 0;

/** Runs a command to completion; throws with its output when it fails. */
export async function run(
  command: string,
  args: string[],
  options: { asPostgres?: boolean; env?: Record<string, string>; cwd?: string } = {},
): Promise<string> {
  const [cmd, argv] = options.asPostgres && isRoot
    ? ["runuser", ["-u", "postgres", "--", command, ...args]]
    : [command, args];
  const output = await new Deno.Command(cmd, {
    args: argv,
    env: options.env,
    cwd: options.cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${command} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** Starts a long-running process detached, stdout+stderr appended to `<dir>/<name>.log`. */
export function spawnDetached(
  dir: string,
  name: string,
  command: string[],
  env: Record<string, string> = {},
): number {
  const child = new Deno.Command("sh", {
    args: ["-c", `exec "$@" >> '${dir}/${name}.log' 2>&1`, "sh", ...command],
    env,
    cwd: REPO,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  Deno.writeTextFileSync(`${dir}/${name}.pid`, String(child.pid));
  return child.pid;
}

export function readPid(dir: string, name: string): number | undefined {
  try {
    const pid = Number(Deno.readTextFileSync(`${dir}/${name}.pid`).trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    // A zombie (exited, not yet reaped by us) still "exists" for kill(0): read its state.
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

export async function waitUntil(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await response.body?.cancel();
  return response.status === 200;
}

async function tcpOpen(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** One fleet on one work directory. */
export class Fleet {
  readonly ports: ReturnType<typeof ports>;
  constructor(readonly options: FleetOptions) {
    this.ports = ports(options.basePort);
  }

  get dir() {
    return this.options.dir;
  }
  get url() {
    return `http://127.0.0.1:${this.ports.haproxy}`;
  }
  instanceUrl(index: number) {
    return `http://127.0.0.1:${this.ports.instance(index)}`;
  }
  primaryUrl(database = DATABASE) {
    return `postgres://postgres@127.0.0.1:${this.ports.primary}/${database}`;
  }
  replicaUrl(database = DATABASE) {
    return `postgres://postgres@127.0.0.1:${this.ports.replica}/${database}`;
  }

  /** Everything, in dependency order; the instances start at the same moment. */
  async up(): Promise<void> {
    await ensurePackages();
    await Deno.mkdir(this.dir, { recursive: true });
    await Deno.chmod(this.dir, 0o755);
    await this.startPrimary();
    await this.startReplica();
    await this.startPgbouncer();
    await this.startRedis();
    await this.startHaproxy();
    await Promise.all(
      Array.from({ length: this.options.instances }, (_, index) => this.startInstance(index)),
    );
  }

  private pgDir(name: string) {
    return `${this.dir}/${name}`;
  }

  private async pgCtl(name: string, action: string, extra: string[] = []) {
    return await run(`${PG_BIN}/pg_ctl`, [
      "-D",
      this.pgDir(name),
      "-l",
      `${this.dir}/${name}.log`,
      "-w",
      "-t",
      "60",
      action,
      ...extra,
    ], { asPostgres: true });
  }

  private async ensureRunDir() {
    const runDir = `${this.dir}/run`;
    await Deno.mkdir(runDir, { recursive: true });
    if (isRoot) await run("chown", ["postgres:postgres", runDir]);
    // Log files are written by the postgres user.
    for (const name of ["primary", "replica", "pgbouncer"]) {
      const log = `${this.dir}/${name}.log`;
      await Deno.writeTextFile(log, "", { append: true });
      if (isRoot) await run("chown", ["postgres:postgres", log]);
    }
    return runDir;
  }

  async startPrimary(): Promise<void> {
    const dataDir = this.pgDir("primary");
    const runDir = await this.ensureRunDir();
    const fresh = !(await exists(`${dataDir}/PG_VERSION`));
    if (fresh) {
      await Deno.mkdir(dataDir, { recursive: true });
      if (isRoot) await run("chown", ["postgres:postgres", dataDir]);
      await run(`${PG_BIN}/initdb`, [
        "-D",
        dataDir,
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
      ], { asPostgres: true });
      // Small and fast: a test fleet on a shared two-core machine; durability is not the point.
      await Deno.writeTextFile(
        `${dataDir}/postgresql.conf`,
        [
          `port = ${this.ports.primary}`,
          "listen_addresses = '127.0.0.1'",
          `unix_socket_directories = '${runDir}'`,
          "max_connections = 80",
          "shared_buffers = 32MB",
          "wal_level = replica",
          "max_wal_senders = 4",
          "wal_keep_size = 256MB",
          "hot_standby = on",
          "hot_standby_feedback = on",
          "fsync = off",
          "synchronous_commit = off",
          "full_page_writes = off",
          "statement_timeout = '15s'",
          "",
        ].join("\n"),
        { append: true },
      );
    }
    if (!alive(await this.postmasterPid("primary"))) await this.pgCtl("primary", "start");
    if (fresh) {
      const sql = postgres(this.primaryUrl("postgres"), { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`create database ${DATABASE}`);
      } finally {
        await sql.end();
      }
    }
  }

  async startReplica(): Promise<void> {
    const dataDir = this.pgDir("replica");
    await this.ensureRunDir();
    if (!(await exists(`${dataDir}/PG_VERSION`))) {
      await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
      if (isRoot) await run("chown", ["postgres:postgres", dataDir]);
      await run(`${PG_BIN}/pg_basebackup`, [
        "-h",
        "127.0.0.1",
        "-p",
        String(this.ports.primary),
        "-U",
        "postgres",
        "-D",
        dataDir,
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
      ], { asPostgres: true });
      await Deno.writeTextFile(`${dataDir}/postgresql.conf`, `port = ${this.ports.replica}\n`, {
        append: true,
      });
    }
    if (!alive(await this.postmasterPid("replica"))) await this.pgCtl("replica", "start");
  }

  /** Fast shutdown of the replica (its connections are terminated, as in a failure). */
  async stopReplica(): Promise<void> {
    if (alive(await this.postmasterPid("replica"))) {
      await this.pgCtl("replica", "stop", ["-m", "fast"]);
    }
  }

  private async postmasterPid(name: string): Promise<number | undefined> {
    try {
      const text = await Deno.readTextFile(`${this.pgDir(name)}/postmaster.pid`);
      return Number(text.split("\n")[0]);
    } catch {
      return undefined;
    }
  }

  async startPgbouncer(): Promise<void> {
    if (alive(readPid(this.dir, "run/pgbouncer"))) return;
    const runDir = await this.ensureRunDir();
    const ini = `${this.dir}/pgbouncer.ini`;
    await Deno.writeTextFile(`${this.dir}/userlist.txt`, `"postgres" ""\n`);
    await Deno.writeTextFile(
      ini,
      pgbouncerConfig({
        dir: this.dir,
        runDir,
        port: this.ports.pgbouncer,
        primaryPort: this.ports.primary,
        database: DATABASE,
      }),
    );
    const args = ["-d", ini];
    if (isRoot) args.unshift("-u", "postgres");
    await run("pgbouncer", args);
    await waitUntil("pgbouncer", () => tcpOpen(this.ports.pgbouncer), 20_000);
  }

  async startRedis(): Promise<void> {
    if (alive(readPid(this.dir, "redis"))) return;
    spawnDetached(this.dir, "redis", [
      "redis-server",
      "--port",
      String(this.ports.redis),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ]);
    await waitUntil("redis", () => tcpOpen(this.ports.redis), 20_000);
  }

  async startHaproxy(): Promise<void> {
    if (alive(readPid(this.dir, "haproxy"))) return;
    const cfg = `${this.dir}/haproxy.cfg`;
    const servers = Array.from({ length: this.options.instances }, (_, index) => ({
      name: `app${index}`,
      port: this.ports.instance(index),
    }));
    await Deno.writeTextFile(
      cfg,
      haproxyConfig({ port: this.ports.haproxy, statsPort: this.ports.stats, servers }),
    );
    await run("haproxy", ["-c", "-q", "-f", cfg]);
    // -W master-worker in the foreground under our pid file (-Ws would want systemd).
    spawnDetached(this.dir, "haproxy", ["haproxy", "-W", "-f", cfg]);
    await waitUntil("haproxy", () => tcpOpen(this.ports.haproxy), 20_000);
  }

  instanceEnv(index: number): Record<string, string> {
    return {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      NO_COLOR: "1",
      APP_ENV: "test",
      HOST: "127.0.0.1",
      PORT: String(this.ports.instance(index)),
      LOG_LEVEL: "info",
      DATABASE_URL: `postgres://postgres@127.0.0.1:${this.ports.pgbouncer}/${DATABASE}`,
      // PgBouncer 1.18 in transaction pooling: no prepared statements, no startup timeout.
      DATABASE_PREPARE: "false",
      DATABASE_STATEMENT_TIMEOUT_MS: "0",
      DATABASE_POOL_MAX: "4",
      DATABASE_READ_URL: this.replicaUrl(),
      DATABASE_READ_MAX_LAG_MS: "5000",
      REDIS_URL: `redis://127.0.0.1:${this.ports.redis}`,
      JWT_SECRET: FLEET_SECRET,
      TRUST_PROXY: "true",
      // Longer than HAProxy's inter × fall, so it is out of rotation before the listener closes.
      SHUTDOWN_DRAIN_MS: "2500",
      SHUTDOWN_GRACE_MS: "10000",
      RATE_LIMIT_PER_MINUTE: "1000000",
      ...this.options.env,
    };
  }

  /** Starts instance `index` (a process, or the container when so configured). */
  async startInstance(index: number, options: { wait?: boolean } = {}): Promise<void> {
    const name = `app${index}`;
    if (this.options.containerInstances?.includes(index)) {
      const { startContainerInstance } = await import("./container.ts");
      await startContainerInstance(this, index);
    } else {
      if (alive(readPid(this.dir, name))) return;
      spawnDetached(this.dir, name, [
        Deno.execPath(),
        "run",
        "--v8-flags=--max-old-space-size=128",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-write",
        "--allow-sys",
        "src/main.ts",
      ], this.instanceEnv(index));
    }
    if (options.wait !== false) {
      await waitUntil(`${name} ready`, () => httpOk(`${this.instanceUrl(index)}/readyz`), 90_000);
    }
  }

  isContainer(index: number) {
    return this.options.containerInstances?.includes(index) ?? false;
  }

  /** Sends a signal to instance `index`; answers once it has exited. */
  async signalInstance(index: number, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    if (this.isContainer(index)) {
      const { signalContainerInstance } = await import("./container.ts");
      await signalContainerInstance(this, index, signal);
      return;
    }
    const pid = readPid(this.dir, `app${index}`);
    if (!alive(pid)) return;
    Deno.kill(pid!, signal);
    await waitUntil(`app${index} exit`, () => !alive(pid), 30_000);
  }

  async status(): Promise<Record<string, string>> {
    const result: Record<string, string> = {};
    result.primary = alive(await this.postmasterPid("primary")) ? "running" : "stopped";
    result.replica = alive(await this.postmasterPid("replica")) ? "running" : "stopped";
    for (const name of ["run/pgbouncer", "redis", "haproxy"]) {
      result[name] = alive(readPid(this.dir, name)) ? "running" : "stopped";
    }
    for (let index = 0; index < this.options.instances; index++) {
      let state = "stopped";
      try {
        const response = await fetch(`${this.instanceUrl(index)}/readyz`, {
          signal: AbortSignal.timeout(3000),
        });
        state = `readyz ${response.status}`;
        await response.body?.cancel();
      } catch {
        // stays stopped
      }
      result[`app${index}`] = state;
    }
    return result;
  }

  /** Stops everything this work directory started (pid files only, never by name). */
  async down(): Promise<void> {
    for (let index = 0; index < this.options.instances; index++) {
      if (this.isContainer(index)) {
        const { removeContainerInstance } = await import("./container.ts");
        await removeContainerInstance(this, index).catch(() => {});
        continue;
      }
      const pid = readPid(this.dir, `app${index}`);
      if (alive(pid)) Deno.kill(pid!, "SIGKILL");
    }
    for (const name of ["haproxy", "redis", "run/pgbouncer"]) {
      const pid = readPid(this.dir, name);
      if (alive(pid)) Deno.kill(pid!, "SIGTERM");
    }
    for (const name of ["replica", "primary"]) {
      if (alive(await this.postmasterPid(name))) {
        await this.pgCtl(name, "stop", ["-m", "immediate"]).catch(() => {});
      }
    }
    for (const name of ["haproxy", "redis", "run/pgbouncer"]) {
      const pid = readPid(this.dir, name);
      await waitUntil(`${name} exit`, () => !alive(pid), 10_000).catch(() => {
        if (alive(pid)) Deno.kill(pid!, "SIGKILL");
      });
    }
  }
}

/** True when something is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
