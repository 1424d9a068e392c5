import assert from "node:assert/strict";
import { configureLogging } from "../../src/shared/logger.ts";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

function rbImport(remoteId: string) {
  return {
    customer: {
      customerName: `RB customer ${remoteId}`,
      businessDomain: "GENERAL_WAREHOUSING",
      source: "RB",
      externalCode: remoteId,
    },
    company: { source: "RB", sourceRefId: `C-${remoteId}`, companyName: "RB Co" },
    remoteId,
  };
}

Deno.test("HTTP conventions of contract sections 4, 5 and 8", async (t) => {
  const env = await startTestApp("http_conventions", { redis: false });
  try {
    await t.step("a user mapped to no domain gets 403 even for a malformed request", async () => {
      const requests: [string, string, unknown?][] = [
        ["GET", "/customers?page=0"],
        ["GET", "/customers/abc"],
        ["PATCH", "/customers/abc", {}],
        ["PATCH", "/customers/1", {}],
        ["PATCH", "/customers/1/status", {}],
        ["GET", "/companies?foo=1"],
        ["GET", "/companies/abc"],
        ["GET", "/customer-groups?sort=bogus"],
        ["GET", "/customer-groups/abc"],
        ["POST", "/customer-groups", {}],
        ["PUT", "/customer-groups/abc/members", {}],
        ["GET", "/external-sync?pageSize=0"],
        ["POST", "/external-sync/import", {}],
        ["POST", "/customers", {}],
      ];
      for (const [method, path, body] of requests) {
        const response = await env.request(method, path, { as: USERS.nobody, body });
        assert.equal(response.status, 403, `${method} ${path}`);
        assert.equal(response.headers.get("content-type"), "application/problem+json");
        assert.equal((await response.json()).code, "FORBIDDEN");
      }
      const me = await env.request("GET", "/auth/me", { as: USERS.nobody });
      assert.equal(me.status, 200);
      assert.deepEqual((await me.json()).domainCodes, []);
    });

    await t.step("a create answers the new customer's ETag", async () => {
      const response = await env.request("POST", "/customers", {
        as: USERS.admin,
        body: rbImport("R-1"),
      });
      assert.equal(response.status, 201);
      const customer = await response.json();
      assert.equal(response.headers.get("etag"), `"${customer.version}"`);
      const replay = await env.request("POST", "/customers", {
        as: USERS.admin,
        body: rbImport("R-1"),
      });
      assert.equal(replay.status, 200);
      assert.equal(replay.headers.get("etag"), `"${customer.version}"`);
      await replay.body?.cancel();
    });

    await t.step("/external-sync sorts by createdAt from the allow-list", async () => {
      assert.equal(
        (await env.request("POST", "/customers", { as: USERS.admin, body: rbImport("R-2") }))
          .status,
        201,
      );
      const remoteIds = async (query: string) => {
        const response = await env.request("GET", `/external-sync${query}`, { as: USERS.admin });
        assert.equal(response.status, 200, query);
        return (await response.json()).items.map((item: { remoteId: string }) => item.remoteId);
      };
      assert.deepEqual(await remoteIds(""), ["R-2", "R-1"]);
      assert.deepEqual(await remoteIds("?sort=-createdAt"), ["R-2", "R-1"]);
      assert.deepEqual(await remoteIds("?sort=createdAt"), ["R-1", "R-2"]);
      assert.deepEqual(await remoteIds("?sort=syncedAt"), ["R-1", "R-2"]);
      const bad = await env.request("GET", "/external-sync?sort=customerName", { as: USERS.admin });
      assert.equal(bad.status, 400);
      assert.deepEqual((await bad.json()).errors.map((error: { path: string }) => error.path), [
        "sort",
      ]);
    });

    await t.step("an unknown query field is a 400 on routes without a query too", async () => {
      const requests: [string, string, unknown?][] = [
        ["GET", "/auth/me?x=1"],
        ["GET", "/customers/1?x=1"],
        ["PATCH", "/customers/1?x=1", { remark: "r" }],
        ["PATCH", "/customers/1/status?x=1", { status: "ACTIVE" }],
        ["POST", "/customers?x=1", rbImport("R-Q")],
        ["GET", "/companies/1?x=1"],
        ["POST", "/customer-groups?x=1", { groupName: "g", businessDomain: "COLD_CHAIN" }],
        ["GET", "/customer-groups/1?x=1"],
        ["PUT", "/customer-groups/1/members?x=1", { customerIds: [] }],
        ["POST", "/external-sync/import?x=1", { source: "RB" }],
        ["POST", "/auth/dingtalk/login?x=1", { authCode: "code" }],
      ];
      for (const [method, path, body] of requests) {
        const response = await env.request(method, path, { as: USERS.admin, body });
        assert.equal(response.status, 400, `${method} ${path}`);
        const problem = await response.json();
        assert.equal(problem.code, "VALIDATION_FAILED");
        assert.deepEqual(problem.errors, [{ path: "x", message: "unknown field" }]);
      }
    });

    await t.step("a field breaking several rules has one errors[] entry", async () => {
      const response = await env.request("GET", "/customers/99999999999999999999", {
        as: USERS.admin,
      });
      assert.equal(response.status, 400);
      const problem = await response.json();
      assert.equal(problem.code, "VALIDATION_FAILED");
      assert.deepEqual(problem.errors.map((error: { path: string }) => error.path), ["id"]);
    });

    await t.step("every request log line carries ding_user_id, null when anonymous", async () => {
      const lines: string[] = [];
      configureLogging({ level: "info", sink: (line) => lines.push(line) });
      try {
        await (await env.request("GET", "/customers")).body?.cancel();
        await (await env.request("GET", "/customers", { as: USERS.std })).body?.cancel();
      } finally {
        configureLogging({ level: "error", sink: (line) => console.log(line) });
      }
      const requests = lines.map((line) => JSON.parse(line)).filter((line) =>
        line.msg === "request"
      );
      assert.equal(requests.length, 2);
      assert.ok("ding_user_id" in requests[0], lines[0]);
      assert.equal(requests[0].ding_user_id, null);
      assert.equal(requests[0].status, 401);
      assert.equal(requests[1].ding_user_id, USERS.std.dingUserId);
      for (const line of requests) {
        for (const key of ["method", "path", "status", "duration_ms", "trace_id"]) {
          assert.ok(key in line, `${key} in ${JSON.stringify(line)}`);
        }
      }
    });

    await t.step("the OpenAPI document lists 500 on every operation and 413 on login", async () => {
      const document = await (await env.request("GET", "/openapi.json")).json();
      for (const [path, operations] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(operations as Record<string, unknown>)) {
          const responses = (operation as { responses: Record<string, unknown> }).responses;
          if (path === "/healthz" || path === "/readyz") continue;
          assert.ok(responses["500"], `${method} ${path} documents 500`);
        }
      }
      assert.ok(document.paths["/auth/dingtalk/login"].post.responses["413"]);
      assert.ok(document.paths["/external-sync"].get.parameters.some(
        (parameter: { name: string }) => parameter.name === "sort",
      ));
    });
  } finally {
    await env.close();
  }
});

Deno.test("the log line of a 429 names the throttled user", async () => {
  const env = await startTestApp("http_conventions_429", {
    redis: false,
    env: { RATE_LIMIT_PER_MINUTE: "1" },
  });
  const lines: string[] = [];
  configureLogging({ level: "info", sink: (line) => lines.push(line) });
  try {
    await (await env.request("GET", "/auth/me", { as: USERS.std })).body?.cancel();
    const limited = await env.request("GET", "/auth/me", { as: USERS.std });
    assert.equal(limited.status, 429);
    await limited.body?.cancel();
  } finally {
    configureLogging({ level: "error", sink: (line) => console.log(line) });
    await env.close();
  }
  const line = lines.map((line) => JSON.parse(line)).find((line) => line.status === 429);
  assert.equal(line?.msg, "request");
  assert.equal(line?.ding_user_id, USERS.std.dingUserId);
});
