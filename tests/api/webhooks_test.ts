import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { type TestUser, USERS } from "../support/tokens.ts";

const THREE_DOMAINS = {
  dingUserId: "U-THREE",
  name: "Three Domains",
  roles: ["ROLE_STD_AGENT", "ROLE_COLD_AGENT", "ROLE_BONDED_AGENT"],
} satisfies TestUser;

async function register(env: TestApp, body: unknown, as: TestUser = USERS.admin) {
  const response = await env.request("POST", "/webhooks", { as, body });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

Deno.test("webhook registration (contract §10.7)", async (t) => {
  const env = await startTestApp("webhooks", { env: { WEBHOOK_ALLOW_PRIVATE: "true" } });
  const strict = await startTestApp("webhooks_strict");
  try {
    await t.step("answers 201 with the secret once; reads never show it", async () => {
      const created = await register(env, {
        url: "http://127.0.0.1:9/hook",
        eventTypes: ["CustomerUpdated", "CustomerCreated", "CustomerUpdated"],
        businessDomains: ["COLD_CHAIN"],
        description: "billing",
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.headers.get("location"), `/webhooks/${created.body.id}`);
      assert.match(created.body.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
      const keyBytes = atob(created.body.secret.slice("whsec_".length)).length;
      assert.ok(keyBytes >= 24 && keyBytes <= 64, `${keyBytes} key bytes`);
      assert.deepEqual(created.body.eventTypes, ["CustomerUpdated", "CustomerCreated"]);
      assert.deepEqual(created.body.businessDomains, ["COLD_CHAIN"]);
      assert.equal(created.body.operationUid, USERS.admin.dingUserId);

      const detail = await env.request("GET", `/webhooks/${created.body.id}`, { as: USERS.admin });
      assert.equal(detail.status, 200);
      const shown = await detail.json();
      assert.equal(shown.secret, undefined);
      const { secret: _secret, ...withoutSecret } = created.body;
      assert.deepEqual(shown, withoutSecret);
      const list = await (await env.request("GET", "/webhooks", { as: USERS.admin })).json();
      assert.equal(list.total, 1);
      assert.equal(list.items[0].secret, undefined);

      const [row] = await env.db.sql<{ secret_ciphertext: Uint8Array }[]>`
        select secret_ciphertext from webhook where id = ${created.body.id}`;
      const stored = new TextDecoder().decode(row.secret_ciphertext);
      assert.ok(!stored.includes(created.body.secret.slice(6, 20)), "the secret is encrypted");
    });

    await t.step("users not mapped to every domain get 403 FORBIDDEN", async () => {
      for (const user of [USERS.std, USERS.cold, USERS.nobody]) {
        for (
          const [method, path] of [
            ["GET", "/webhooks"],
            ["GET", "/webhooks/1"],
            ["DELETE", "/webhooks/1"],
            ["GET", "/webhooks/1/deliveries"],
            ["POST", "/webhooks/1/deliveries/1/redeliver"],
          ]
        ) {
          const response = await env.request(method, path, { as: user });
          assert.equal(response.status, 403, `${user.dingUserId} ${method} ${path}`);
          assert.equal((await response.json()).code, "FORBIDDEN");
        }
        const created = await register(
          env,
          { url: "https://example.com/h", eventTypes: ["CustomerCreated"] },
          user,
        );
        assert.equal(created.status, 403);
      }
      const unauthenticated = await env.request("GET", "/webhooks");
      assert.equal(unauthenticated.status, 401);
      const three = await env.request("GET", "/webhooks", { as: THREE_DOMAINS });
      assert.equal(three.status, 403, "three of four domains are not enough");
    });

    await t.step("private, loopback and link-local URLs are refused without the flag", async () => {
      for (
        const url of [
          "http://127.0.0.1:8080/hook",
          "http://localhost/hook",
          "http://10.1.2.3/hook",
          "http://192.168.0.10/hook",
          "http://169.254.169.254/latest/meta-data",
          "http://[::1]/hook",
          "http://[fe80::1]/hook",
          "http://0x7f000001/hook",
        ]
      ) {
        const refused = await register(strict, { url, eventTypes: ["CustomerCreated"] });
        assert.equal(refused.status, 400, url);
        assert.equal(refused.body.code, "VALIDATION_FAILED");
        assert.equal(refused.body.errors[0].path, "url");
      }
      const count = await strict.db.sql`select count(*)::int as n from webhook`;
      assert.equal(count[0].n, 0);
      const publicUrl = await register(strict, {
        url: "https://203.0.114.10/hook",
        eventTypes: ["CustomerCreated"],
      });
      assert.equal(publicUrl.status, 201, JSON.stringify(publicUrl.body));
    });

    await t.step("bad bodies are 400 VALIDATION_FAILED", async () => {
      for (
        const body of [
          { url: "https://example.com/h", eventTypes: [] },
          { url: "https://example.com/h", eventTypes: ["NoSuchEvent"] },
          { url: "https://example.com/h", eventTypes: ["CustomerCreated"], secret: "mine" },
          { url: "https://example.com/h", eventTypes: ["CustomerCreated"], businessDomains: ["X"] },
          { eventTypes: ["CustomerCreated"] },
        ]
      ) {
        const response = await register(env, body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.body.code, "VALIDATION_FAILED");
      }
      const ftp = await register(env, {
        url: "ftp://example.com/h",
        eventTypes: ["CustomerCreated"],
      });
      assert.equal(ftp.status, 400);
    });

    await t.step("DELETE answers 204, then 404 WEBHOOK_NOT_FOUND", async () => {
      const created = await register(env, {
        url: "http://127.0.0.1:9/gone",
        eventTypes: ["CustomerCreated"],
      });
      const deleted = await env.request("DELETE", `/webhooks/${created.body.id}`, {
        as: USERS.admin,
      });
      assert.equal(deleted.status, 204);
      for (const method of ["GET", "DELETE"]) {
        const again = await env.request(method, `/webhooks/${created.body.id}`, {
          as: USERS.admin,
        });
        assert.equal(again.status, 404);
        assert.equal((await again.json()).code, "WEBHOOK_NOT_FOUND");
      }
      const deliveries = await env.request("GET", `/webhooks/${created.body.id}/deliveries`, {
        as: USERS.admin,
      });
      assert.equal(deliveries.status, 404);
    });
  } finally {
    await env.close();
    await strict.close();
  }
});
