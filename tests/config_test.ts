import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../src/config.ts";

Deno.test("config defaults follow the contract", () => {
  const config = loadConfig({});
  assert.equal(config.PORT, 8000);
  assert.equal(config.HOST, "127.0.0.1");
  assert.equal(config.JWT_ISSUER, "customer-service");
  assert.equal(config.JWT_AUDIENCE, "customer-api");
  assert.equal(config.CACHE_TTL_SECONDS, 300);
  assert.equal(config.RATE_LIMIT_PER_MINUTE, 600);
  assert.equal(config.PGLITE_DIR, ".data/pglite");
  assert.equal(config.embeddedDatabase, true);
  assert.equal(config.databasePoolMax, 1);
  assert.equal(config.DINGTALK_API_BASE, "https://api.dingtalk.com");
  assert.equal(loadConfig({ DATABASE_URL: "postgres://x@h/db" }).databasePoolMax, 10);
});

Deno.test("a bad value names the variable", () => {
  const cases: [Record<string, string>, string][] = [
    [{ PORT: "eighty" }, "PORT"],
    [{ DATABASE_URL: "mysql://nope" }, "DATABASE_URL"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ CACHE_TTL_SECONDS: "-1" }, "CACHE_TTL_SECONDS"],
    [{ APP_ENV: "staging" }, "APP_ENV"],
    [{ READYZ_OPTIONAL: "postgres" }, "READYZ_OPTIONAL"],
  ];
  for (const [env, variable] of cases) {
    assert.throws(() => loadConfig(env), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, new RegExp(variable));
      return true;
    });
  }
});

Deno.test("production refuses to start without DATABASE_URL and a JWT key", () => {
  assert.throws(() => loadConfig({ APP_ENV: "production" }), /DATABASE_URL.*JWT_SECRET/);
  assert.throws(
    () => loadConfig({ APP_ENV: "production", DATABASE_URL: "postgres://x@h/db" }),
    /JWT_SECRET/,
  );
  const config = loadConfig({
    APP_ENV: "production",
    DATABASE_URL: "postgres://x@h/db",
    JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
    METRICS_TOKEN: crypto.randomUUID(),
    WEBHOOK_SECRET_KEY: crypto.randomUUID() + crypto.randomUUID(),
  });
  assert.equal(config.APP_ENV, "production");
});

Deno.test("a JWT key that does not parse stops the start with a one-line message", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/main.ts"],
    cwd: new URL("..", import.meta.url).pathname,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
      JWT_PUBLIC_KEY: "not a pem",
      PORT: "0",
      NO_COLOR: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 1);
  assert.match(stderr, /^invalid configuration: JWT_PUBLIC_KEY /);
  assert.doesNotMatch(stderr, /Uncaught|\n\s+at /);
});
