import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { freePort, spawnService } from "../support/service_process.ts";
import { signTestToken, USERS } from "../support/tokens.ts";

const IN_FLIGHT = 5;

/** Reads the child's stdout until a line matches, keeping everything it printed. */
async function waitForLine(
  lines: AsyncIterator<string>,
  seen: string[],
  pattern: RegExp,
): Promise<void> {
  while (true) {
    const next = await lines.next();
    if (next.done) throw new Error(`server exited before printing ${pattern}:\n${seen.join("")}`);
    seen.push(next.value);
    if (pattern.test(next.value)) return;
  }
}

async function* textLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, newline + 1);
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer) yield buffer;
}

/** Established TCP connections whose local end is `port`: the server's accepted connections. */
async function acceptedConnections(port: number): Promise<number> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let count = 0;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const table = await Deno.readTextFile(file).catch(() => "");
    for (const line of table.split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === "01" && local?.endsWith(`:${hexPort}`)) count++;
    }
  }
  return count;
}

async function connectionRefused(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return false;
  } catch (error) {
    return error instanceof Deno.errors.ConnectionRefused;
  }
}

Deno.test(
  "SIGTERM lets in-flight requests finish, refuses new connections and exits 0",
  async () => {
    const db = await createTestDatabase("shutdown");
    const port = freePort();
    const child = spawnService({
      port,
      databaseUrl: db.url,
      env: {
        ROLE_MAPPING_CACHE_SECONDS: "0",
        SHUTDOWN_GRACE_MS: "20000",
        LOG_LEVEL: "info",
      },
      stdout: "piped",
    });
    const output: string[] = [];
    const lines = textLines(child.stdout);
    let releaseLock = () => {};
    try {
      await waitForLine(lines, output, /"msg":"listening"/);

      // Real slowness, no test hook: every request reads role_domain_mapping, which this
      // transaction locks until the signal has been sent.
      let locked = () => {};
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const lockReleased = new Promise<void>((resolve) => (releaseLock = resolve));
      const holder = db.sql.begin(async (tx) => {
        await tx`lock table role_domain_mapping in access exclusive mode`;
        locked();
        await lockReleased;
      });
      await lockTaken;

      const token = await signTestToken(USERS.std);
      let settled = 0;
      const requests = Array.from({ length: IN_FLIGHT }, async () => {
        const response = await fetch(`http://127.0.0.1:${port}/auth/me`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = await response.json();
        settled++;
        return { status: response.status, body };
      });

      // The requests are in the server once one of them waits on the lock in Postgres (the
      // others share its role-mapping load) and the server holds a connection for each.
      await eventually("a request waiting on the lock", async () => {
        const [{ waiting }] = await db.sql`
          select count(*)::int as waiting from pg_stat_activity
          where datname = ${db.name} and wait_event_type = 'Lock'`;
        return waiting > 0;
      });
      await eventually(
        `${IN_FLIGHT} accepted connections`,
        async () => await acceptedConnections(port) >= IN_FLIGHT,
      );
      assert.equal(settled, 0, "the requests are still in flight");

      child.kill("SIGTERM");
      await waitForLine(lines, output, /"msg":"shutting down"/);
      await eventually("new connections refused", () => connectionRefused(port), 2_000);
      assert.equal(settled, 0, "in-flight requests are not cut off");

      releaseLock();
      await holder;
      const answers = await Promise.all(requests);
      for (const answer of answers) {
        assert.equal(answer.status, 200);
        assert.equal(answer.body.dingUserId, USERS.std.dingUserId);
      }
      const status = await child.status;
      for await (const line of lines) output.push(line);
      assert.equal(status.code, 0, output.join(""));
      assert.match(output.join(""), /"msg":"stopped"/);
    } finally {
      releaseLock();
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
      await db.drop();
    }
  },
);
