import assert from "node:assert/strict";
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../src/presentation/router.ts";
import { startTestApp } from "../support/test_app.ts";

const echoRoute = createRoute({
  method: "post",
  path: "/test/echo",
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.strictObject({
            customer: z.strictObject({ customerName: z.string().min(1).max(200) }),
          }),
        },
      },
    },
  },
  responses: { 200: { description: "echo" } },
});

function testRouter() {
  return createRouter()
    .openapi(echoRoute, (c) => c.json(c.req.valid("json"), 200))
    .get("/test/boom", () => {
      throw new Error("secret internals: password=hunter2");
    });
}

async function problemOf(response: Response) {
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const body = await response.json();
  assert.equal(body.status, response.status);
  assert.equal(body.traceId, response.headers.get("x-trace-id"));
  assert.equal(typeof body.type, "string");
  assert.equal(typeof body.title, "string");
  assert.equal(typeof body.detail, "string");
  return body;
}

Deno.test("HTTP chassis", async (t) => {
  const env = await startTestApp("chassis");
  env.app.route("/", testRouter());
  try {
    await t.step("a valid X-Trace-Id is kept", async () => {
      const response = await env.request("GET", "/healthz", {
        headers: { "x-trace-id": "abc_DEF-12345678" },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-trace-id"), "abc_DEF-12345678");
      assert.deepEqual(await response.json(), { status: "ok" });
    });

    await t.step("a traceparent's trace id is used when X-Trace-Id is invalid", async () => {
      const response = await env.request("GET", "/healthz", {
        headers: {
          "x-trace-id": "bad!",
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        },
      });
      assert.equal(response.headers.get("x-trace-id"), "4bf92f3577b34da6a3ce929d0e0e4736");
      await response.body?.cancel();
    });

    await t.step("otherwise a new 32-hex trace id", async () => {
      const response = await env.request("GET", "/healthz", {
        headers: { "x-trace-id": "short", traceparent: "garbage" },
      });
      assert.match(response.headers.get("x-trace-id") ?? "", /^[0-9a-f]{32}$/);
      await response.body?.cancel();
    });

    await t.step("unknown routes are 404 NOT_FOUND problems", async () => {
      const response = await env.request("GET", "/no/such/route");
      assert.equal(response.status, 404);
      assert.equal((await problemOf(response)).code, "NOT_FOUND");
    });

    await t.step("malformed JSON is 400 VALIDATION_FAILED with errors", async () => {
      const response = await env.request("POST", "/test/echo", { body: "{not json" });
      assert.equal(response.status, 400);
      const problem = await problemOf(response);
      assert.equal(problem.code, "VALIDATION_FAILED");
      assert.ok(problem.errors.length > 0);
    });

    await t.step("unknown and invalid fields are listed by path", async () => {
      const response = await env.request("POST", "/test/echo", {
        body: { customer: { customerName: "", id: 5 }, extra: true },
      });
      assert.equal(response.status, 400);
      const problem = await problemOf(response);
      const paths = problem.errors.map((error: { path: string }) => error.path).sort();
      assert.deepEqual(paths, ["customer.customerName", "customer.id", "extra"]);
    });

    await t.step("a body over 1 MiB is 413 PAYLOAD_TOO_LARGE", async () => {
      const response = await env.request("POST", "/test/echo", {
        body: { customer: { customerName: "x".repeat(1024 * 1024 + 10) } },
      });
      assert.equal(response.status, 413);
      assert.equal((await problemOf(response)).code, "PAYLOAD_TOO_LARGE");
    });

    await t.step("an unexpected error is 500 INTERNAL_ERROR without internals", async () => {
      const response = await env.request("GET", "/test/boom");
      assert.equal(response.status, 500);
      const text = await response.clone().text();
      assert.ok(!text.includes("hunter2"));
      assert.ok(!text.includes("at "), "no stack trace");
      assert.equal((await problemOf(response)).code, "INTERNAL_ERROR");
    });

    await t.step("/readyz reports Postgres and Redis up with latency", async () => {
      const response = await env.request("GET", "/readyz");
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(body.status, "ready");
      assert.equal(body.checks.postgres.status, "up");
      assert.equal(body.checks.redis.status, "up");
      assert.equal(typeof body.checks.postgres.latencyMs, "number");
      assert.equal(body.checks.mysql.status, "not_configured");
    });

    await t.step("/openapi.json is OpenAPI 3.1 and /docs is served locally", async () => {
      const spec = await (await env.request("GET", "/openapi.json")).json();
      assert.equal(spec.openapi, "3.1.0");
      assert.ok(spec.paths["/readyz"]);
      const docs = await env.request("GET", "/docs");
      assert.equal(docs.status, 200);
      const html = await docs.text();
      assert.ok(!html.includes("cdn."), "no CDN");
      const asset = await env.request("GET", "/docs/assets/swagger-ui-bundle.js");
      assert.equal(asset.status, 200);
      assert.ok((await asset.arrayBuffer()).byteLength > 100_000);
    });
  } finally {
    await env.close();
  }
});

Deno.test("/readyz is 503 when a configured dependency is down", async (t) => {
  await t.step("Redis on a closed port", async () => {
    const env = await startTestApp("readyz_redis", {
      env: { REDIS_URL: "redis://127.0.0.1:1", READYZ_TIMEOUT_MS: "3000" },
    });
    try {
      const response = await env.request("GET", "/readyz");
      assert.equal(response.status, 503);
      const body = await response.json();
      assert.equal(body.checks.redis.status, "down");
      assert.equal(body.checks.postgres.status, "up");
    } finally {
      await env.close();
    }
  });
  await t.step("but not Redis or MySQL listed in READYZ_OPTIONAL", async () => {
    const env = await startTestApp("readyz_optional", {
      env: {
        REDIS_URL: "redis://127.0.0.1:1",
        EXTERNAL_MYSQL_URL: "mysql://root@127.0.0.1:1/test",
        READYZ_OPTIONAL: "redis,mysql",
        READYZ_TIMEOUT_MS: "3000",
      },
    });
    try {
      const response = await env.request("GET", "/readyz");
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(body.status, "ready");
      assert.equal(body.checks.redis.status, "down");
      assert.equal(body.checks.mysql.status, "down");
    } finally {
      await env.close();
    }
  });
  await t.step("Postgres on a closed port", async () => {
    const env = await startTestApp("readyz_pg", {
      env: { DATABASE_URL: "postgres://postgres@127.0.0.1:1/none", READYZ_TIMEOUT_MS: "3000" },
    });
    try {
      const response = await env.request("GET", "/readyz");
      assert.equal(response.status, 503);
      assert.equal((await response.json()).checks.postgres.status, "down");
    } finally {
      await env.close();
    }
  });
  await t.step("MySQL on a closed port", async () => {
    const env = await startTestApp("readyz_mysql", {
      env: { EXTERNAL_MYSQL_URL: "mysql://root@127.0.0.1:1/test", READYZ_TIMEOUT_MS: "3000" },
    });
    try {
      const response = await env.request("GET", "/readyz");
      assert.equal(response.status, 503);
      assert.equal((await response.json()).checks.mysql.status, "down");
    } finally {
      await env.close();
    }
  });
});
