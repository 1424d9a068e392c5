import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../src/config.ts";
import { SHIPPED_SECRETS } from "../src/config_production.ts";

// Contract §10.3: in production the start is refused, naming the variable, for http: identity
// URLs, a JWT secret shipped in this repository and an unprotected /metrics nobody chose.

const ROOT = new URL("..", import.meta.url);

const GOOD: Record<string, string> = {
  APP_ENV: "production",
  DATABASE_URL: "postgres://app@db.internal/customer",
  JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
  METRICS_TOKEN: crypto.randomUUID(),
  WEBHOOK_SECRET_KEY: crypto.randomUUID() + crypto.randomUUID(),
};

function refused(env: Record<string, string | undefined>, variable: string) {
  assert.throws(() => loadConfig(env), (error: Error) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, new RegExp(variable));
    return true;
  }, `${variable} should stop a production start`);
}

Deno.test("a well-configured production start is accepted", () => {
  assert.equal(loadConfig(GOOD).APP_ENV, "production");
  const publicMetrics = loadConfig({ ...GOOD, METRICS_TOKEN: undefined, METRICS_PUBLIC: "true" });
  assert.equal(publicMetrics.METRICS_PUBLIC, true);
  const jwks = loadConfig({
    ...GOOD,
    JWT_SECRET: undefined,
    JWT_JWKS_URL: "https://idp.example.com/jwks.json",
  });
  assert.equal(jwks.JWT_JWKS_URL, "https://idp.example.com/jwks.json");
});

Deno.test("production refuses http: identity URLs, naming each variable", () => {
  refused({ ...GOOD, JWT_SECRET: undefined, JWT_JWKS_URL: "http://idp/jwks.json" }, "JWT_JWKS_URL");
  refused({ ...GOOD, DINGTALK_API_BASE: "http://api.dingtalk.com" }, "DINGTALK_API_BASE");
  refused({ ...GOOD, DINGTALK_OAPI_BASE: "http://oapi.dingtalk.com" }, "DINGTALK_OAPI_BASE");
  // Outside production a local fake DingTalk on http: stays usable.
  assert.equal(
    loadConfig({ APP_ENV: "test", DINGTALK_API_BASE: "http://127.0.0.1:9" }).DINGTALK_API_BASE,
    "http://127.0.0.1:9",
  );
});

Deno.test("production refuses an unprotected /metrics unless METRICS_PUBLIC=true", () => {
  refused({ ...GOOD, METRICS_TOKEN: undefined }, "METRICS_TOKEN");
  refused({ ...GOOD, METRICS_TOKEN: undefined, METRICS_PUBLIC: "false" }, "METRICS_TOKEN");
});

/** Every string this repository passes as a JWT secret: compose defaults, tests, docs, bench. */
async function secretsInRepository(): Promise<string[]> {
  const found = new Set<string>();
  const patterns = [
    /JWT_SECRET:?\s*[:=]\s*["'`]([^"'`$]{16,})["'`]/g,
    /SECRET\s*=\s*["'`]([^"'`$]{16,})["'`]/g,
    /secret:\s*["'`]([^"'`$]{16,})["'`]/g,
    /\$\{JWT_SECRET:-([^}]+)\}/g,
  ];
  const walk = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".") && entry.name !== ".ci") continue;
      if (["node_modules", "bench_results"].includes(entry.name)) continue;
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (/\.(ts|ya?ml|md|sh|env|json)$|^Makefile$|^Dockerfile$/.test(entry.name)) {
        const text = await Deno.readTextFile(url);
        for (const pattern of patterns) {
          for (const match of text.matchAll(pattern)) found.add(match[1]);
        }
      }
    }
  };
  for (const dir of ["tests/", "bench/", "scripts/", "docs/", ".ci/"]) {
    await walk(new URL(dir, ROOT)).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
  for (const file of ["docker-compose.yml", "README.md", "Makefile"]) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) found.add(match[1]);
    }
  }
  return [...found].filter((value) => value.length >= 32);
}

Deno.test("production refuses every JWT secret shipped in the repository", async () => {
  const shipped = await secretsInRepository();
  assert.ok(shipped.includes("test-secret-of-at-least-32-bytes-long!!"), "the scan finds them");
  for (const secret of [...shipped, ...SHIPPED_SECRETS, "x".repeat(32)]) {
    refused({ ...GOOD, JWT_SECRET: secret }, "JWT_SECRET");
  }
});

Deno.test("docker-compose.yml takes every secret from the environment", async () => {
  const compose = await Deno.readTextFile(new URL("docker-compose.yml", ROOT));
  const secretLines = compose.split("\n").filter((line) =>
    /^\s*[A-Z_]*(SECRET|PASSWORD|TOKEN)[A-Z_]*\s*:/.test(line)
  );
  assert.ok(secretLines.length >= 3, secretLines.join("\n"));
  for (const line of secretLines) {
    const value = line.slice(line.indexOf(":") + 1).trim();
    assert.match(value, /^"?\$\{[A-Z_]+(:\?[^}]*|:-)?\}"?$/, `a literal secret: ${line.trim()}`);
  }
  assert.match(compose, /JWT_SECRET: \$\{JWT_SECRET:\?[^}]*\}/);
  // Credentials inside URLs come from the environment too.
  const urls = [...compose.matchAll(/[a-z]+:\/\/[^:@\s/]+:([^@\n]+)@/g)];
  assert.ok(urls.length >= 2, "the database URLs carry credentials");
  for (const [url, password] of urls) {
    assert.match(password, /^\$\{[A-Z_]+(:\?[^}]*)?\}$/, `a literal password in ${url}`);
  }
});
