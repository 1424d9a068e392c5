import assert from "node:assert/strict";
import { ADMIN_URL } from "../support/database.ts";
import { MYSQL_URL, REDIS_URL } from "../support/test_app.ts";

const ROOT = new URL("../../", import.meta.url);

async function checkConnections(env: Record<string, string>) {
  const inherited = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((name) => {
    const value = Deno.env.get(name);
    return value === undefined ? [] : [[name, value]];
  });
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "check-connections"],
    cwd: ROOT,
    clearEnv: true,
    env: { ...Object.fromEntries(inherited), NO_COLOR: "1", ...env },
  }).output();
  return { code: output.code, stdout: new TextDecoder().decode(output.stdout) };
}

Deno.test("check-connections says not configured and exits 0 with nothing set", async () => {
  const { code, stdout } = await checkConnections({});
  assert.equal(code, 0, stdout);
  assert.match(stdout, /postgres\s+not configured/);
  assert.match(stdout, /redis\s+not configured/);
  assert.match(stdout, /mysql\s+not configured/);
});

Deno.test("check-connections reports each reachable service with latency", async () => {
  const { code, stdout } = await checkConnections({
    DATABASE_URL: ADMIN_URL,
    REDIS_URL,
    EXTERNAL_MYSQL_URL: MYSQL_URL,
  });
  assert.equal(code, 0, stdout);
  for (const name of ["postgres", "redis", "mysql"]) {
    assert.match(stdout, new RegExp(`${name}\\s+reachable\\s+[\\d.]+ ms`));
  }
});

Deno.test("check-connections exits 1 when a configured service is unreachable", async () => {
  const { code, stdout } = await checkConnections({
    DATABASE_URL: ADMIN_URL,
    REDIS_URL: "redis://127.0.0.1:1",
  });
  assert.equal(code, 1, stdout);
  assert.match(stdout, /postgres\s+reachable/);
  assert.match(stdout, /redis\s+UNREACHABLE/);
  assert.match(stdout, /mysql\s+not configured/);
});
