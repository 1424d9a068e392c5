import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { createTokenVerifier, loadJwtKeys } from "../../src/infrastructure/auth/jwt.ts";

const ROOT = new URL("../../", import.meta.url);
const SECRET = "token-task-secret-of-at-least-32-bytes";

async function runTokenTask(args: string[], env: Record<string, string>) {
  const inherited = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((name) => {
    const value = Deno.env.get(name);
    return value === undefined ? [] : [[name, value]];
  });
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "token", ...args],
    cwd: ROOT,
    clearEnv: true,
    env: { ...Object.fromEntries(inherited), NO_COLOR: "1", APP_ENV: "test", ...env },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("deno task token prints a token the service accepts", async () => {
  const { code, stdout, stderr } = await runTokenTask([
    "--sub",
    "U1",
    "--name",
    "Operator One",
    "--roles",
    "ROLE_STD_AGENT,ROLE_COLD_AGENT",
    "--positions",
    "Planner",
    "--departments",
    "1,2",
    "--ttl",
    "600",
  ], { JWT_SECRET: SECRET });
  assert.equal(code, 0, stderr);
  const config = loadConfig({ APP_ENV: "test", JWT_SECRET: SECRET });
  const claims = await createTokenVerifier(await loadJwtKeys(config), config)(stdout);
  assert.deepEqual(claims, {
    dingUserId: "U1",
    name: "Operator One",
    unionId: "",
    roles: ["ROLE_STD_AGENT", "ROLE_COLD_AGENT"],
    positions: ["Planner"],
    departments: ["1", "2"],
  });
});

Deno.test("deno task token without a key or without --sub exits 1 with a message", async () => {
  const noKey = await runTokenTask(["--sub", "U1"], {});
  assert.equal(noKey.code, 1);
  assert.match(noKey.stderr, /no JWT key configured/);
  const noSub = await runTokenTask(["--roles", "ROLE_ADMIN"], { JWT_SECRET: SECRET });
  assert.equal(noSub.code, 1);
  assert.match(noSub.stderr, /usage: deno task token/);
  const badTtl = await runTokenTask(["--sub", "U1", "--ttl", "soon"], { JWT_SECRET: SECRET });
  assert.equal(badTtl.code, 1);
  assert.match(badTtl.stderr, /--ttl/);
});
