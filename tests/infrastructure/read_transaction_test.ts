import assert from "node:assert/strict";
import { openPool, readTransaction } from "../../src/infrastructure/postgres/database.ts";
import { createTestDatabase } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";

// ADR 0117: a read transaction whose BEGIN rides with its first statement, checked on the real
// Postgres with a pool of one connection, so that the next user of the pool is the connection the
// transaction ran on.

Deno.test("readTransaction", async (t) => {
  const db = await createTestDatabase("read_transaction", { migrated: false });
  const pool = openPool(db.url, { max: 1, connectTimeoutSeconds: 5 });
  try {
    await t.step(
      "its statements run in one transaction, and its settings end with it",
      async () => {
        const [first, second] = await readTransaction(pool, async (tx) => {
          const [a] = await tx`select set_config('application_name', 'inside', true),
          txid_current() as xid`;
          const [b] = await tx`select current_setting('application_name') as name,
          txid_current() as xid`;
          return [a, b];
        });
        assert.equal(second.name, "inside");
        assert.equal(second.xid, first.xid);
        // The next statement of the one connection runs after the COMMIT, outside the transaction.
        const [after] = await pool`select current_setting('application_name') as name,
        txid_current() as xid`;
        assert.equal(after.name, "customer-service");
        assert.notEqual(after.xid, first.xid);
      },
    );

    await t.step("a failure rolls back and leaves the connection usable", async () => {
      await assert.rejects(
        readTransaction(pool, async (tx) => {
          await tx`select set_config('application_name', 'failed', true)`;
          await tx`select 1 / 0`;
        }),
        /division by zero/,
      );
      const [after] = await pool`select current_setting('application_name') as name`;
      assert.equal(after.name, "customer-service");
    });

    await t.step("BEGIN goes out with the first statement; COMMIT is answered first", async () => {
      const proxy = startHoldingProxy(new URL(db.url), "COMMIT");
      const observed = openPool(proxyUrl(db.url, proxy.port), { max: 1, connectTimeoutSeconds: 5 });
      try {
        await observed`select 1`;
        proxy.writes.length = 0;
        let returned = false;
        const transaction = readTransaction(
          observed,
          async (tx) => await tx`select 'first' as statement`,
        ).then(() => returned = true);
        await eventually("COMMIT is sent", () => proxy.writes.some((w) => w.includes("commit")));
        // BEGIN did not wait for its answer: it went out in the same write as the statement.
        const first = proxy.writes[0];
        assert.ok(first.includes("begin") && first.includes("select 'first'"), first);
        // The proxy holds back the answer to COMMIT: the connection is not handed back before it.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(returned, false);
        proxy.release();
        await transaction;
        const [row] = await observed`select 2 as two`;
        assert.equal(row.two, 2);
      } finally {
        proxy.close();
        await observed.end({ timeout: 5 });
      }
    });
  } finally {
    await pool.end({ timeout: 5 });
    await db.drop();
  }
});

function proxyUrl(url: string, port: number): string {
  const proxied = new URL(url);
  proxied.port = String(port);
  return proxied.toString();
}

/**
 * A loopback proxy that records what the client writes (as text) and holds back the server's
 * answers from the first one holding `tag` until release().
 */
function startHoldingProxy(target: URL, tag: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const writes: string[] = [];
  const open = new Set<Deno.Conn>();
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const decoder = new TextDecoder();
  const serve = async (client: Deno.Conn) => {
    const server = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
    open.add(client).add(server);
    const up = (async () => {
      const buffer = new Uint8Array(65536);
      for (let n; (n = await client.read(buffer)) !== null;) {
        writes.push(decoder.decode(buffer.subarray(0, n)));
        await server.write(buffer.slice(0, n));
      }
    })();
    const down = (async () => {
      const buffer = new Uint8Array(65536);
      for (let n; (n = await server.read(buffer)) !== null;) {
        const chunk = buffer.slice(0, n);
        if (decoder.decode(chunk).includes(tag)) await released;
        await client.write(chunk);
      }
    })();
    await Promise.allSettled([up, down]);
  };
  (async () => {
    for await (const client of listener) void serve(client).catch(() => {});
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    writes,
    release,
    close() {
      release();
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
    },
  };
}
