import assert from "node:assert/strict";
import { purgeExpiredIdempotencyKeys } from "../../src/application/idempotency/purge_expired_idempotency_keys.ts";
import { requestFingerprint } from "../../src/domain/idempotency/idempotency_key.ts";
import { createTestMysqlDatabase } from "../support/mysql.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { type TestUser, USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";

function newCustomer(name: string) {
  return {
    customer: { customerName: name, businessDomain: GW },
    company: { companyName: `${name} Ltd` },
  };
}

function postWithKey(
  env: TestApp,
  path: string,
  key: string,
  body: unknown,
  as: TestUser = USERS.std,
) {
  return env.request("POST", path, { as, body, headers: { "idempotency-key": key } });
}

async function problemOf(response: Response, status: number, code: string) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}`);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const body = await response.json();
  assert.equal(body.code, code);
  return body;
}

async function counts(env: TestApp) {
  const [row] = await env.db.sql<
    { customers: number; companies: number; events: number; groups: number; keys: number }[]
  >`select (select count(*)::int from customer) as customers,
      (select count(*)::int from company) as companies,
      (select count(*)::int from domain_event) as events,
      (select count(*)::int from customer_group) as groups,
      (select count(*)::int from idempotency_key) as keys`;
  return row;
}

async function customersNamed(env: TestApp, name: string): Promise<number> {
  const [row] = await env.db.sql<{ n: number }[]>`
    select count(*)::int as n from customer where customer_name = ${name}`;
  return row.n;
}

Deno.test("Idempotency-Key on POST routes (contract §10.4)", async (t) => {
  const env = await startTestApp("idempotency");
  try {
    await t.step("the same request again replays the first answer and writes nothing", async () => {
      const first = await postWithKey(env, "/customers", "key-replay-1", newCustomer("Replay Co"));
      assert.equal(first.status, 201);
      assert.equal(first.headers.get("idempotency-replayed"), null);
      const firstBody = await first.text();
      const before = await counts(env);
      // The same JSON with other key order and spacing is the same request.
      const reordered = JSON.stringify(
        {
          company: { companyName: "Replay Co Ltd" },
          customer: { businessDomain: GW, customerName: "Replay Co" },
        },
        null,
        2,
      );
      const again = await postWithKey(env, "/customers", "key-replay-1", reordered);
      assert.equal(again.status, 201);
      assert.equal(again.headers.get("idempotency-replayed"), "true");
      assert.equal(await again.text(), firstBody);
      assert.equal(again.headers.get("location"), first.headers.get("location"));
      assert.equal(again.headers.get("etag"), first.headers.get("etag"));
      assert.ok(first.headers.get("etag"));
      assert.equal(again.headers.get("content-type"), first.headers.get("content-type"));
      assert.ok(again.headers.get("x-trace-id"));
      assert.deepEqual(await counts(env), before);
      assert.equal(await customersNamed(env, "Replay Co"), 1);
    });

    await t.step("a group create replays too", async () => {
      const body = { groupName: "Idem group", businessDomain: GW };
      const first = await postWithKey(env, "/customer-groups", "key-group", body);
      assert.equal(first.status, 201);
      const again = await postWithKey(env, "/customer-groups", "key-group", body);
      assert.equal(again.status, 201);
      assert.equal(again.headers.get("idempotency-replayed"), "true");
      assert.equal(await again.text(), await first.text());
      assert.equal(again.headers.get("location"), first.headers.get("location"));
      const [{ n }] = await env.db.sql<{ n: number }[]>`
        select count(*)::int as n from customer_group where group_name = 'Idem group'`;
      assert.equal(n, 1);
    });

    await t.step("a different body, path or method under the key is 422", async () => {
      await postWithKey(env, "/customers", "key-reuse", newCustomer("Reuse A"));
      const before = await counts(env);
      await problemOf(
        await postWithKey(env, "/customers", "key-reuse", newCustomer("Reuse B")),
        422,
        "IDEMPOTENCY_KEY_REUSED",
      );
      await problemOf(
        await postWithKey(env, "/customer-groups", "key-reuse", newCustomer("Reuse A")),
        422,
        "IDEMPOTENCY_KEY_REUSED",
      );
      assert.deepEqual(await counts(env), before);
      assert.equal(await customersNamed(env, "Reuse B"), 0);
    });

    await t.step("two concurrent requests with one key make one customer", async () => {
      for (let round = 0; round < 5; round++) {
        const name = `Concurrent ${round}`;
        const responses = await Promise.all(
          [0, 1].map(() => postWithKey(env, "/customers", `key-race-${round}`, newCustomer(name))),
        );
        const outcomes = await Promise.all(responses.map(async (response) => ({
          status: response.status,
          replayed: response.headers.get("idempotency-replayed"),
          code: response.status === 409 ? (await response.json()).code : undefined,
        })));
        const created = outcomes.filter((o) => o.status === 201 && o.replayed === null);
        assert.equal(created.length, 1, JSON.stringify(outcomes));
        const other = outcomes.find((o) => o !== created[0])!;
        assert.ok(
          (other.status === 409 && other.code === "IDEMPOTENCY_KEY_IN_USE") ||
            (other.status === 201 && other.replayed === "true"),
          JSON.stringify(outcomes),
        );
        assert.equal(await customersNamed(env, name), 1);
      }
    });

    await t.step("a key still held by a running request answers 409", async () => {
      const body = newCustomer("Held Co");
      await env.db.sql`
        insert into idempotency_key (user_id, idempotency_key, method, path,
          request_fingerprint, status, lock_token, expires_at)
        values ('U-STD', 'key-held', 'POST', '/customers',
          ${await requestFingerprint(JSON.stringify(body))}, 'IN_PROGRESS',
          ${crypto.randomUUID()}, now() + interval '1 hour')`;
      const response = await postWithKey(env, "/customers", "key-held", body);
      await problemOf(response, 409, "IDEMPOTENCY_KEY_IN_USE");
      assert.equal(response.headers.get("retry-after"), "1");
      assert.equal(await customersNamed(env, "Held Co"), 0);
    });

    await t.step(
      "a key abandoned by a dead request is taken over by the same request",
      async () => {
        const body = newCustomer("Abandoned Co");
        await env.db.sql`
        insert into idempotency_key (user_id, idempotency_key, method, path,
          request_fingerprint, status, lock_token, locked_at, expires_at)
        values ('U-STD', 'key-abandoned', 'POST', '/customers',
          ${await requestFingerprint(JSON.stringify(body))}, 'IN_PROGRESS',
          ${crypto.randomUUID()}, now() - interval '10 minutes', now() + interval '1 hour')`;
        assert.equal((await postWithKey(env, "/customers", "key-abandoned", body)).status, 201);
        assert.equal(await customersNamed(env, "Abandoned Co"), 1);
      },
    );

    await t.step("keys are scoped to the user", async () => {
      const mine = await postWithKey(env, "/customers", "key-shared", newCustomer("Mine Co"));
      assert.equal(mine.status, 201);
      const theirs = await postWithKey(
        env,
        "/customers",
        "key-shared",
        newCustomer("Theirs Co"),
        USERS.admin,
      );
      assert.equal(theirs.status, 201);
      assert.equal(theirs.headers.get("idempotency-replayed"), null);
      assert.equal(await customersNamed(env, "Theirs Co"), 1);
      const again = await postWithKey(env, "/customers", "key-shared", newCustomer("Mine Co"));
      assert.equal(again.headers.get("idempotency-replayed"), "true");
      assert.equal(await customersNamed(env, "Mine Co"), 1);
      const rows = await env.db.sql<{ user_id: string }[]>`
        select user_id from idempotency_key where idempotency_key = 'key-shared' order by 1`;
      assert.deepEqual(rows.map((row) => row.user_id), ["U-ADMIN", "U-STD"]);
    });

    await t.step("a 5xx answer is not kept: the same key may retry", async () => {
      // No EXTERNAL_MYSQL_URL in the test app: the import answers 503.
      const body = { source: "RB", remoteIds: ["R-1"] };
      const first = await postWithKey(env, "/external-sync/import", "key-5xx", body);
      await problemOf(first, 503, "EXTERNAL_SOURCE_NOT_CONFIGURED");
      const rows = await env.db.sql`
        select 1 from idempotency_key where idempotency_key = 'key-5xx'`;
      assert.equal(rows.length, 0);
      const retry = await postWithKey(env, "/external-sync/import", "key-5xx", body);
      assert.equal(retry.status, 503);
      assert.equal(retry.headers.get("idempotency-replayed"), null);
    });

    await t.step("a 4xx answer is kept and replayed", async () => {
      const body = { groupName: "Cold group", businessDomain: "COLD_CHAIN" };
      const first = await postWithKey(env, "/customer-groups", "key-4xx", body);
      const problem = await problemOf(first, 403, "FORBIDDEN");
      const again = await postWithKey(env, "/customer-groups", "key-4xx", body);
      assert.equal(again.status, 403);
      assert.equal(again.headers.get("idempotency-replayed"), "true");
      assert.equal(again.headers.get("content-type"), "application/problem+json");
      // Byte for byte: even the first request's trace id.
      assert.deepEqual(await again.json(), problem);
    });

    await t.step("a malformed key is 400 and nothing is written", async () => {
      const before = await counts(env);
      for (const key of ["k".repeat(256), "bad\x7fkey", "caf\u00e9"]) {
        const body = await problemOf(
          await postWithKey(env, "/customers", key, newCustomer("Bad Key Co")),
          400,
          "VALIDATION_FAILED",
        );
        assert.equal(body.errors[0].path, "Idempotency-Key");
      }
      assert.equal(
        (await postWithKey(env, "/customers", "k".repeat(255), newCustomer("Long Key Co")))
          .status,
        201,
      );
      assert.equal((await counts(env)).customers, before.customers + 1);
    });

    await t.step("without the header every request runs", async () => {
      const body = { groupName: "No key group", businessDomain: GW };
      assert.equal(
        (await env.request("POST", "/customer-groups", { as: USERS.std, body })).status,
        201,
      );
      await problemOf(
        await env.request("POST", "/customer-groups", { as: USERS.std, body }),
        409,
        "GROUP_DUPLICATED",
      );
    });

    await t.step("expired keys are purged in bounded batches and free the key", async () => {
      await env.db.sql`
        insert into idempotency_key (user_id, idempotency_key, method, path,
          request_fingerprint, status, lock_token, response_status, response_headers,
          response_body, expires_at)
        select 'U-STD', 'expired-' || n, 'POST', '/customers', 'x', 'COMPLETED',
          gen_random_uuid(), 201, '{}'::jsonb, '\\x7b7d'::bytea, now() - interval '1 minute'
        from generate_series(1, 5) n`;
      // An expired key is free for a new request even before the purge.
      const reused = await postWithKey(env, "/customers", "expired-1", newCustomer("After Expiry"));
      assert.equal(reused.status, 201);
      const live = (await counts(env)).keys;
      assert.equal(await purgeExpiredIdempotencyKeys(env.deps, { batchSize: 2, maxBatches: 1 }), 2);
      assert.equal(await purgeExpiredIdempotencyKeys(env.deps, { batchSize: 2 }), 2);
      assert.equal(await purgeExpiredIdempotencyKeys(env.deps), 0);
      assert.equal((await counts(env)).keys, live - 4);
      const [{ n }] = await env.db.sql<{ n: number }[]>`
        select count(*)::int as n from idempotency_key where expires_at <= now()`;
      assert.equal(n, 0);
    });

    await t.step("the OpenAPI document lists the header on the three routes", async () => {
      const doc = await (await env.request("GET", "/openapi.json")).json();
      for (const path of ["/customers", "/customer-groups", "/external-sync/import"]) {
        const names = (doc.paths[path].post.parameters ?? []).map((p: { name: string }) => p.name);
        assert.ok(names.includes("idempotency-key"), `${path}: ${names}`);
      }
    });
  } finally {
    await env.close();
  }
});

Deno.test(
  "an import under an Idempotency-Key is replayed, not run again",
  async () => {
    const source = await createTestMysqlDatabase();
    const env = await startTestApp("idempotency_import", {
      env: { EXTERNAL_MYSQL_URL: source.url },
    });
    try {
      const syncRows = async () =>
        (await env.db.sql<{ n: number }[]>`
        select count(*)::int as n from external_system_sync`)[0].n;
      const body = { source: "RB" };
      const first = await postWithKey(env, "/external-sync/import", "key-import", body, USERS.cold);
      assert.equal(first.status, 200);
      const summary = await first.text();
      assert.ok(JSON.parse(summary).imported > 0);
      const rows = await syncRows();
      const events = (await counts(env)).events;
      const again = await postWithKey(env, "/external-sync/import", "key-import", body, USERS.cold);
      assert.equal(again.status, 200);
      assert.equal(again.headers.get("idempotency-replayed"), "true");
      // Without the key a second import would answer skipped rows and record FAILED rows again.
      assert.equal(await again.text(), summary);
      assert.equal(await syncRows(), rows);
      assert.equal((await counts(env)).events, events);
      const rerun = await env.request("POST", "/external-sync/import", { as: USERS.cold, body });
      assert.equal(rerun.status, 200);
      assert.notEqual(await rerun.text(), summary);
    } finally {
      await env.close();
      await source.drop();
    }
  },
);
