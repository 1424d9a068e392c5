import assert from "node:assert/strict";
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { type Config, loadConfig } from "../../src/config.ts";
import {
  createTokenSigner,
  createTokenVerifier,
  loadJwtKeys,
} from "../../src/infrastructure/auth/jwt.ts";
import { AppError } from "../../src/shared/errors.ts";
import { TEST_AUDIENCE, TEST_ISSUER } from "../support/tokens.ts";

type SigningKey = Parameters<SignJWT["sign"]>[0];

function configWith(env: Record<string, string>): Config {
  return loadConfig({ APP_ENV: "test", ...env });
}

async function sign(key: SigningKey, alg: string, kid?: string) {
  return await new SignJWT({ name: "Key User", union_id: "un1234567890", roles: ["ROLE_ADMIN"] })
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setSubject("U-KEY")
    .setIssuer(TEST_ISSUER)
    .setAudience(TEST_AUDIENCE)
    .setExpirationTime("5m")
    .sign(key);
}

async function rejects(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (error) => error instanceof AppError && error.code === code);
}

Deno.test("an ES256 public key verifies ES256 tokens and nothing else", async () => {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const config = configWith({ JWT_PUBLIC_KEY: await exportSPKI(publicKey) });
  const keys = await loadJwtKeys(config);
  assert.deepEqual(keys.algorithms, ["ES256"]);
  const verify = createTokenVerifier(keys, config);
  const claims = await verify(await sign(privateKey, "ES256"));
  assert.equal(claims.dingUserId, "U-KEY");
  assert.deepEqual(claims.roles, ["ROLE_ADMIN"]);
  const rsa = await generateKeyPair("RS256");
  await rejects(verify(await sign(rsa.privateKey, "RS256")), "UNAUTHENTICATED");
  assert.equal(createTokenSigner(keys, config), undefined, "a public key alone cannot sign");
});

Deno.test("a PEM given on one line with literal \\n is accepted", async () => {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const oneLine = (await exportSPKI(publicKey)).trim().replaceAll("\n", "\\n");
  const config = configWith({ JWT_PUBLIC_KEY: oneLine });
  const verify = createTokenVerifier(await loadJwtKeys(config), config);
  assert.equal((await verify(await sign(privateKey, "RS256"))).dingUserId, "U-KEY");
});

Deno.test("JWT_PRIVATE_KEY signs tokens its JWT_PUBLIC_KEY verifies", async () => {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const config = configWith({
    JWT_PUBLIC_KEY: await exportSPKI(publicKey),
    JWT_PRIVATE_KEY: await exportPKCS8(privateKey),
  });
  const keys = await loadJwtKeys(config);
  const signer = createTokenSigner(keys, config);
  assert.ok(signer);
  const { token, expiresIn } = await signer({
    dingUserId: "U1",
    name: "One",
    unionId: "un1",
    roles: ["ROLE_STD_AGENT"],
    positions: [],
    departments: ["7"],
  }, 600);
  assert.equal(expiresIn, 600);
  const claims = await createTokenVerifier(keys, config)(token);
  assert.deepEqual(claims.departments, ["7"]);
});

Deno.test("a JWT_PRIVATE_KEY that does not match JWT_PUBLIC_KEY stops the start", async () => {
  const one = await generateKeyPair("RS256", { extractable: true });
  const two = await generateKeyPair("RS256", { extractable: true });
  const config = configWith({
    JWT_PUBLIC_KEY: await exportSPKI(one.publicKey),
    JWT_PRIVATE_KEY: await exportPKCS8(two.privateKey),
  });
  await assert.rejects(loadJwtKeys(config), /does not match JWT_PUBLIC_KEY/);
});

Deno.test("a garbage JWT_PUBLIC_KEY stops the start with a message naming it", async () => {
  const config = configWith({ JWT_PUBLIC_KEY: "not a key" });
  await assert.rejects(loadJwtKeys(config), /JWT_PUBLIC_KEY/);
});

Deno.test("a JWKS URL verifies RS256 and ES256 tokens by kid", async () => {
  const rsa = await generateKeyPair("RS256", { extractable: true });
  const ec = await generateKeyPair("ES256", { extractable: true });
  const jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
      { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
    ],
  };
  let fetches = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    fetches++;
    return Response.json(jwks);
  });
  try {
    const config = configWith({
      JWT_JWKS_URL: `http://127.0.0.1:${server.addr.port}/.well-known/jwks.json`,
    });
    const verify = createTokenVerifier(await loadJwtKeys(config), config);
    assert.equal((await verify(await sign(rsa.privateKey, "RS256", "rsa-1"))).dingUserId, "U-KEY");
    assert.equal((await verify(await sign(ec.privateKey, "ES256", "ec-1"))).dingUserId, "U-KEY");
    assert.equal(fetches, 1, "the key set is cached");
    const stranger = await generateKeyPair("RS256");
    await rejects(verify(await sign(stranger.privateKey, "RS256", "rsa-1")), "UNAUTHENTICATED");
    const secret = new TextEncoder().encode("x".repeat(40));
    await rejects(verify(await sign(secret, "HS256", "rsa-1")), "UNAUTHENTICATED");
  } finally {
    await server.shutdown();
  }
});

Deno.test("an unreachable JWKS is 503 SERVICE_UNAVAILABLE, not a 401", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const config = configWith({ JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` });
  const verify = createTokenVerifier(await loadJwtKeys(config), config);
  const { privateKey } = await generateKeyPair("RS256");
  await rejects(verify(await sign(privateKey, "RS256", "rsa-1")), "SERVICE_UNAVAILABLE");
  await rejects(verify("not.a.token"), "UNAUTHENTICATED");
});
