import assert from "node:assert/strict";
import { createTestMysqlDatabase } from "../support/mysql.ts";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

// Contract §10.3: what an unauthenticated or a single authenticated client can make the service
// spend: metric series, readiness details, imports in flight.

function seriesOf(text: string, name: string): string[] {
  return text.split("\n").filter((line) => line.startsWith(`${name}{`));
}

Deno.test("metric labels come from fixed sets", async () => {
  const env = await startTestApp("abuse_metrics", { redis: false });
  try {
    for (const method of ["XA1", "XA2", "PROPFIND", "get"]) {
      const response = await env.app.request("/healthz", { method });
      await response.body?.cancel();
    }
    for (const n of [1, 2, 3]) {
      const response = await env.request("GET", `/no-such-route-${n}/x`);
      assert.equal(response.status, 404);
      await response.body?.cancel();
    }
    const text = await (await env.request("GET", "/metrics")).text();
    const requests = seriesOf(text, "http_requests_total");
    assert.ok(requests.length > 0);
    for (const line of requests) {
      assert.match(line, /method="(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|OTHER)"/, line);
      assert.doesNotMatch(line, /XA1|XA2|PROPFIND|no-such-route/, line);
    }
    const other = requests.filter((line) => line.includes('method="OTHER"'));
    const total = other.reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
    assert.ok(total >= 3, `odd methods are counted as OTHER: ${other.join("\n")}`);
    const unmatched = requests.filter((line) =>
      line.includes('route="unmatched"') && line.includes('method="GET"')
    );
    assert.equal(unmatched.length, 1, requests.join("\n"));
    assert.equal(Number(unmatched[0].split(" ").at(-1)), 3);
  } finally {
    await env.close();
  }
});

Deno.test("/readyz shows status and latency only", async () => {
  const env = await startTestApp("abuse_readyz", {
    env: { REDIS_URL: "redis://127.0.0.1:1", READYZ_TIMEOUT_MS: "2000" },
  });
  try {
    const response = await env.request("GET", "/readyz");
    assert.equal(response.status, 503);
    const body = await response.json();
    for (const [name, check] of Object.entries(body.checks)) {
      const keys = Object.keys(check as object).sort();
      assert.ok(
        keys.every((key) => key === "status" || key === "latencyMs"),
        `${name}: ${keys}`,
      );
    }
    assert.equal(body.checks.redis.status, "down");
    assert.equal(typeof body.checks.postgres.latencyMs, "number");
    assert.doesNotMatch(JSON.stringify(body), /ECONNREFUSED|127\.0\.0\.1|memory|postgres:/);
  } finally {
    await env.close();
  }
});

Deno.test(
  "one import in flight per user; unknown ids in one statement",
  async (t) => {
    const source = await createTestMysqlDatabase();
    const env = await startTestApp("abuse_import", { env: { EXTERNAL_MYSQL_URL: source.url } });
    const importAs = (user: typeof USERS.std, remoteIds: string[]) =>
      env.request("POST", "/external-sync/import", {
        as: user,
        body: { source: "RB", remoteIds },
      });
    try {
      await t.step(
        "a running import of the user (on any instance) makes the next one 429",
        async () => {
          // What an import in flight on another instance leaves: a live lease row.
          await env.db.sql`insert into import_lease (operation_uid, token, expires_at)
        values (${USERS.std.dingUserId}, ${crypto.randomUUID()}, now() + interval '40 seconds')`;
          const response = await importAs(USERS.std, ["NOPE-0"]);
          assert.equal(response.status, 429);
          assert.equal((await response.json()).code, "RATE_LIMITED");
          const retryAfter = Number(response.headers.get("retry-after"));
          assert.ok(retryAfter >= 1 && retryAfter <= 40, `Retry-After ${retryAfter}`);
          const [{ n }] = await env.db.sql`select count(*)::int as n from external_system_sync`;
          assert.equal(n, 0, "a refused import writes nothing");
          // Another user is not held up.
          const other = await importAs(USERS.admin, ["NOPE-A"]);
          assert.equal(other.status, 200);
          await other.body?.cancel();
        },
      );

      await t.step("a lease left by a dead instance lapses", async () => {
        await env.db.sql`update import_lease set expires_at = now() - interval '1 second'`;
        const response = await importAs(USERS.std, ["NOPE-1"]);
        assert.equal(response.status, 200);
        await response.body?.cancel();
        const leases = await env.db.sql`select * from import_lease`;
        assert.equal(leases.length, 0, "released after the import");
      });

      await t.step("of two simultaneous imports of one user, at most one runs", async () => {
        await source.generate(300, "FLIGHT-");
        const ids = Array.from(
          { length: 300 },
          (_, n) => `FLIGHT-${String(n + 1).padStart(8, "0")}`,
        );
        const responses = await Promise.all([importAs(USERS.std, ids), importAs(USERS.std, ids)]);
        const statuses = responses.map((response) => response.status).sort();
        await Promise.all(responses.map((response) => response.body?.cancel()));
        assert.ok(
          JSON.stringify(statuses) === "[200,429]" || JSON.stringify(statuses) === "[200,200]",
          String(statuses),
        );
        assert.equal((await env.db.sql`select * from import_lease`).length, 0);
      });

      await t.step("remote ids missing from the source are recorded in one statement", async () => {
        const missing = Array.from({ length: 50 }, (_, n) => `MISSING-${n}`);
        const response = await importAs(USERS.std, missing);
        assert.equal(response.status, 200);
        const summary = await response.json();
        assert.equal(summary.failed, 50);
        assert.ok(
          summary.items.every((item: { errorCode: string }) => item.errorCode === "NOT_FOUND"),
        );
        // One statement in autocommit is one transaction: every row carries the same xmin.
        const [row] = await env.db.sql`
        select count(*)::int as rows, count(distinct xmin::text)::int as transactions
        from external_system_sync where remote_id like 'MISSING-%'`;
        assert.deepEqual({ ...row }, { rows: 50, transactions: 1 });
      });
    } finally {
      await env.close();
      await source.drop();
    }
  },
);
