import assert from "node:assert/strict";
import { loadConfig } from "../src/config.ts";

const PRODUCTION = {
  APP_ENV: "production",
  DATABASE_URL: "postgres://x@h/db",
  JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
  METRICS_TOKEN: crypto.randomUUID(),
};

Deno.test("production starts without WEBHOOK_SECRET_KEY but refuses a short one", () => {
  assert.equal(loadConfig(PRODUCTION).WEBHOOK_SECRET_KEY, undefined);
  assert.throws(
    () => loadConfig({ ...PRODUCTION, WEBHOOK_SECRET_KEY: "short" }),
    /WEBHOOK_SECRET_KEY: must be at least 32 characters/,
  );
  const config = loadConfig({ ...PRODUCTION, WEBHOOK_SECRET_KEY: crypto.randomUUID() + "-key" });
  assert.equal(config.WEBHOOK_ALLOW_PRIVATE, false);
  assert.equal(config.WEBHOOK_TIMEOUT_MS, 5000);
});

Deno.test("development runs without WEBHOOK_SECRET_KEY; short relay settings parse", () => {
  const config = loadConfig({
    WEBHOOK_ALLOW_PRIVATE: "true",
    WEBHOOK_RETRY_BASE_MS: "20",
    WEBHOOK_RELAY_POLL_MS: "50",
  });
  assert.equal(config.WEBHOOK_SECRET_KEY, undefined);
  assert.equal(config.WEBHOOK_ALLOW_PRIVATE, true);
  assert.equal(config.WEBHOOK_RETRY_BASE_MS, 20);
  assert.throws(() => loadConfig({ WEBHOOK_TIMEOUT_MS: "0" }), /WEBHOOK_TIMEOUT_MS/);
  assert.throws(
    () => loadConfig({ WEBHOOK_TIMEOUT_MS: "5000", WEBHOOK_RELAY_LEASE_MS: "10000" }),
    /WEBHOOK_RELAY_LEASE_MS/,
  );
});
