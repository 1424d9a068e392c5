import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { createApp } from "../../src/app.ts";
import { dingTalkClientFromConfig } from "../../src/infrastructure/dingtalk/dingtalk_client.ts";
import { configureLogging } from "../../src/shared/logger.ts";
import { fakeDingTalkEnv, startFakeDingTalk } from "../support/fake_dingtalk.ts";
import { startTestApp } from "../support/test_app.ts";

const ALICE = {
  code: "code-alice",
  unionid: "abUNIONalice00yz",
  userid: "U-ALICE",
  name: "Alice",
  title: "Cold Chain Planner",
  roles: ["ROLE_STD_AGENT", "Reviewer"],
  deptIds: [10, 20],
};

async function problemOf(response: Response, status: number, code: string) {
  assert.equal(response.status, status);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const body = await response.json();
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  assert.equal(body.traceId, response.headers.get("x-trace-id"));
  assert.doesNotMatch(JSON.stringify(body), /\n\s+at |stack/);
  return body;
}

Deno.test("POST /auth/dingtalk/login", async (t) => {
  const fake = startFakeDingTalk([ALICE]);
  const env = await startTestApp("auth_login", {
    env: { ...fakeDingTalkEnv(fake), DINGTALK_TIMEOUT_MS: "1000" },
  });
  const login = (authCode: unknown, app = env.app) =>
    app.request("/auth/dingtalk/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ authCode }),
    });
  try {
    await t.step(
      "a valid code answers a token whose claims come from the user detail",
      async () => {
        await env.db.sql`
        insert into role_domain_mapping (match_type, match_value, domain_code)
        values ('DEPARTMENT', '20', 'CROSS_BORDER')`;
        const response = await login(ALICE.code);
        assert.equal(response.status, 200);
        const body = await response.json();
        assert.equal(body.tokenType, "Bearer");
        assert.equal(body.expiresIn, env.deps.config.JWT_TTL_SECONDS);
        assert.deepEqual(body.user, {
          dingUserId: "U-ALICE",
          name: "Alice",
          unionId: ALICE.unionid,
          roles: ["ROLE_STD_AGENT", "Reviewer"],
          positions: ["Cold Chain Planner"],
          departments: ["10", "20"],
          domainCodes: ["CROSS_BORDER", "GENERAL_WAREHOUSING"],
        });
        const claims = decodeJwt(body.accessToken);
        assert.equal(claims.sub, "U-ALICE");
        assert.equal(claims.union_id, ALICE.unionid);
        assert.deepEqual(claims.roles, ["ROLE_STD_AGENT", "Reviewer"]);
        assert.deepEqual(claims.positions, ["Cold Chain Planner"]);
        assert.deepEqual(claims.departments, ["10", "20"]);
        assert.equal(claims.iss, "customer-service");
        assert.equal(claims.aud, "customer-api");
        assert.equal("domainCodes" in claims, false, "domains are never carried by the token");

        const me = await env.request("GET", "/auth/me", { token: body.accessToken });
        assert.equal(me.status, 200);
        assert.deepEqual(await me.json(), body.user);
      },
    );

    await t.step("the corp access token is fetched once and reused", async () => {
      fake.calls.length = 0;
      assert.equal((await login(ALICE.code)).status, 200);
      assert.deepEqual(fake.calls, [
        "/v1.0/oauth2/userAccessToken",
        "/v1.0/contact/users/me",
        "/topapi/user/getbyunionid",
        "/topapi/v2/user/get",
      ]);
    });

    await t.step("a code DingTalk rejects is 401 AUTHENTICATION_FAILED", async () => {
      await problemOf(await login("not-a-valid-code"), 401, "AUTHENTICATION_FAILED");
    });

    await t.step("a person outside the organisation is 401 AUTHENTICATION_FAILED", async () => {
      fake.mode = { oapiErrcode: 60121 };
      await problemOf(await login(ALICE.code), 401, "AUTHENTICATION_FAILED");
    });

    await t.step("a non-zero errcode of an oapi call is 502 DINGTALK_UNAVAILABLE", async () => {
      fake.mode = { oapiErrcode: 50002 };
      await problemOf(await login(ALICE.code), 502, "DINGTALK_UNAVAILABLE");
    });

    await t.step("DingTalk answering 500 is 502 DINGTALK_UNAVAILABLE", async () => {
      fake.mode = { failWith: 500 };
      const body = await problemOf(await login(ALICE.code), 502, "DINGTALK_UNAVAILABLE");
      assert.match(body.detail, /HTTP 500/);
    });

    await t.step("DingTalk not answering in time is 502 DINGTALK_UNAVAILABLE", async () => {
      fake.mode = { sleepMs: 10_000 };
      const body = await problemOf(await login(ALICE.code), 502, "DINGTALK_UNAVAILABLE");
      assert.match(body.detail, /no answer within 1000 ms/);
    });

    await t.step("DingTalk unreachable is 502 DINGTALK_UNAVAILABLE", async () => {
      fake.mode = {};
      const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const deadUrl = `http://127.0.0.1:${(closed.addr as Deno.NetAddr).port}`;
      closed.close();
      const app = createApp({
        ...env.deps,
        dingtalk: dingTalkClientFromConfig({ ...env.deps.config, DINGTALK_API_BASE: deadUrl }),
      });
      await problemOf(await login(ALICE.code, app), 502, "DINGTALK_UNAVAILABLE");
    });

    await t.step("without DingTalk app credentials the login is 503", async () => {
      const app = createApp({
        ...env.deps,
        dingtalk: dingTalkClientFromConfig({
          ...env.deps.config,
          DINGTALK_APP_KEY: undefined,
          DINGTALK_APP_SECRET: undefined,
        }),
      });
      const body = await problemOf(await login(ALICE.code, app), 503, "SERVICE_UNAVAILABLE");
      assert.match(body.detail, /DINGTALK_APP_KEY/);
    });

    await t.step("without a signing key the login is 503 and spends no code", async () => {
      fake.calls.length = 0;
      const app = createApp({ ...env.deps, signToken: undefined });
      const body = await problemOf(await login(ALICE.code, app), 503, "SERVICE_UNAVAILABLE");
      assert.match(body.detail, /JWT_PRIVATE_KEY/);
      assert.deepEqual(fake.calls, []);
    });

    await t.step("the body is strict and the code bounded", async () => {
      for (
        const body of [{}, { authCode: "" }, { authCode: "x".repeat(513) }, {
          authCode: "c",
          extra: 1,
        }, { authCode: 42 }]
      ) {
        const response = await env.request("POST", "/auth/dingtalk/login", { body });
        const problem = await problemOf(response, 400, "VALIDATION_FAILED");
        assert.ok(problem.errors.length > 0);
      }
    });

    await t.step("union ids never appear in clear in log lines", async () => {
      fake.mode = {};
      const lines: string[] = [];
      configureLogging({ level: "debug", sink: (line) => lines.push(line) });
      try {
        const response = await login(ALICE.code);
        const { accessToken } = await response.json();
        assert.equal((await env.request("GET", "/auth/me", { token: accessToken })).status, 200);
        fake.mode = { failWith: 503 };
        assert.equal((await login(ALICE.code)).status, 502);
      } finally {
        configureLogging({ level: "error", sink: (line) => console.log(line) });
      }
      assert.ok(lines.length >= 4, `expected log lines, got ${lines.length}`);
      for (const line of lines) assert.ok(!line.includes(ALICE.unionid), line);
      const parsed = lines.map((line) => JSON.parse(line));
      const loginLine = parsed.find((line) => line.msg === "dingtalk login");
      assert.equal(loginLine?.union_id, "ab***yz");
      assert.equal(loginLine?.ding_user_id, "U-ALICE");
      const requests = parsed.filter((line) => line.msg === "request");
      assert.ok(
        requests.some((line) => line.path === "/auth/me" && line.ding_user_id === "U-ALICE"),
      );
      for (const line of requests) assert.match(line.trace_id, /^[0-9a-f]{32}$/);
    });
  } finally {
    await env.close();
    await fake.close();
  }
});
