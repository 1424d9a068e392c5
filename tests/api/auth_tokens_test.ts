import assert from "node:assert/strict";
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { createApp } from "../../src/app.ts";
import { createTokenVerifier, loadJwtKeys } from "../../src/infrastructure/auth/jwt.ts";
import { startTestApp } from "../support/test_app.ts";
import { signTestToken, TEST_AUDIENCE, TEST_ISSUER, USERS } from "../support/tokens.ts";

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function expectUnauthenticated(response: Response, why: string) {
  assert.equal(response.status, 401, why);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const body = await response.json();
  assert.equal(body.code, "UNAUTHENTICATED", why);
  assert.equal(body.traceId, response.headers.get("x-trace-id"));
}

async function signWith(
  key: Parameters<SignJWT["sign"]>[0],
  alg: string,
  claims: { sub?: string; iss?: string; aud?: string } = {},
) {
  return await new SignJWT({ name: "Key User", roles: ["ROLE_COLD_AGENT"] })
    .setProtectedHeader({ alg, typ: "JWT" })
    .setSubject(claims.sub ?? "U-KEY")
    .setIssuer(claims.iss ?? TEST_ISSUER)
    .setAudience(claims.aud ?? TEST_AUDIENCE)
    .setExpirationTime("5m")
    .sign(key);
}

Deno.test("bearer token verification", async (t) => {
  const env = await startTestApp("auth_tokens");
  const me = (authorization?: string, app = env.app) =>
    app.request("/auth/me", { headers: authorization ? { authorization } : {} });
  try {
    await t.step("a valid HS256 token is accepted", async () => {
      const response = await me(`Bearer ${await signTestToken(USERS.std)}`);
      assert.equal(response.status, 200);
      assert.deepEqual((await response.json()).domainCodes, ["GENERAL_WAREHOUSING"]);
    });

    await t.step("a missing Authorization header is 401", async () => {
      await expectUnauthenticated(await me(), "missing header");
    });

    await t.step("a scheme other than Bearer is 401", async () => {
      const token = await signTestToken(USERS.std);
      await expectUnauthenticated(await me(`Basic ${token}`), "Basic scheme");
      await expectUnauthenticated(await me(token), "no scheme");
      await expectUnauthenticated(await me("Bearer"), "empty bearer");
    });

    await t.step("a malformed token is 401", async () => {
      await expectUnauthenticated(await me("Bearer not-a-jwt"), "one segment");
      await expectUnauthenticated(await me("Bearer aaa.bbb.ccc"), "garbage segments");
      await expectUnauthenticated(await me("Bearer e30.e30.!!"), "bad characters");
    });

    await t.step("a token expired beyond the 30 s tolerance is 401", async () => {
      const token = await signTestToken(USERS.std, { expiresIn: nowSeconds() - 120 });
      await expectUnauthenticated(await me(`Bearer ${token}`), "expired 2 min ago");
    });

    await t.step("a token expired within the 30 s tolerance is still accepted", async () => {
      const token = await signTestToken(USERS.std, { expiresIn: nowSeconds() - 10 });
      assert.equal((await me(`Bearer ${token}`)).status, 200);
    });

    await t.step("a token signed with another secret is 401", async () => {
      const token = await signTestToken(USERS.admin, {
        secret: "another-secret-of-at-least-32-bytes!!",
      });
      await expectUnauthenticated(await me(`Bearer ${token}`), "wrong signature");
    });

    await t.step("an unsigned (alg: none) token is 401", async () => {
      const token = new UnsecuredJWT({ roles: ["ROLE_ADMIN"] })
        .setSubject("U-ADMIN").setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE)
        .setExpirationTime("5m").encode();
      await expectUnauthenticated(await me(`Bearer ${token}`), "alg none");
    });

    await t.step("an algorithm off the allow-list (HS512) is 401", async () => {
      const token = await signTestToken(USERS.std, { algorithm: "HS512" });
      await expectUnauthenticated(await me(`Bearer ${token}`), "HS512");
    });

    await t.step("a wrong issuer or audience is 401", async () => {
      const wrongIss = await signTestToken(USERS.std, { issuer: "someone-else" });
      await expectUnauthenticated(await me(`Bearer ${wrongIss}`), "wrong iss");
      const wrongAud = await signTestToken(USERS.std, { audience: "other-api" });
      await expectUnauthenticated(await me(`Bearer ${wrongAud}`), "wrong aud");
    });

    await t.step("claims of the wrong type are 401", async () => {
      const secret = new TextEncoder().encode("test-secret-of-at-least-32-bytes-long!!");
      const noSub = await new SignJWT({ roles: [] }).setProtectedHeader({ alg: "HS256" })
        .setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE).setExpirationTime("5m").sign(secret);
      await expectUnauthenticated(await me(`Bearer ${noSub}`), "no sub");
      const noExp = await new SignJWT({ roles: [] }).setProtectedHeader({ alg: "HS256" })
        .setSubject("U1").setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE).sign(secret);
      await expectUnauthenticated(await me(`Bearer ${noExp}`), "no exp");
      const badRoles = await new SignJWT({ roles: "ROLE_ADMIN" }).setProtectedHeader({
        alg: "HS256",
      }).setSubject("U1").setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE)
        .setExpirationTime("5m").sign(secret);
      await expectUnauthenticated(await me(`Bearer ${badRoles}`), "roles not an array");
    });

    await t.step("domains in the token are ignored", async () => {
      const secret = new TextEncoder().encode("test-secret-of-at-least-32-bytes-long!!");
      const token = await new SignJWT({ roles: [], domainCodes: ["COLD_CHAIN"] })
        .setProtectedHeader({ alg: "HS256" }).setSubject("U1").setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE).setExpirationTime("5m").sign(secret);
      const response = await me(`Bearer ${token}`);
      assert.equal(response.status, 200);
      assert.deepEqual((await response.json()).domainCodes, []);
    });

    await t.step("with JWT_PUBLIC_KEY (RSA) RS256 is accepted, HS256 never", async () => {
      const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
      const publicPem = await exportSPKI(publicKey);
      const config = { ...env.deps.config, JWT_PUBLIC_KEY: publicPem };
      const app = createApp({
        ...env.deps,
        verifyToken: createTokenVerifier(await loadJwtKeys(config), config),
      });
      const good = await me(`Bearer ${await signWith(privateKey, "RS256")}`, app);
      assert.equal(good.status, 200);
      const user = await good.json();
      assert.equal(user.dingUserId, "U-KEY");
      assert.deepEqual(user.domainCodes, ["COLD_CHAIN"]);

      const confused = await signTestToken(USERS.admin, { secret: publicPem });
      await expectUnauthenticated(await me(`Bearer ${confused}`, app), "HS256 with public key");
      const hs = await signTestToken(USERS.admin);
      await expectUnauthenticated(await me(`Bearer ${hs}`, app), "HS256 with the old secret");
      const other = await generateKeyPair("RS256");
      await expectUnauthenticated(
        await me(`Bearer ${await signWith(other.privateKey, "RS256")}`, app),
        "RS256 of another key",
      );
      const ec = await generateKeyPair("ES256");
      await expectUnauthenticated(
        await me(`Bearer ${await signWith(ec.privateKey, "ES256")}`, app),
        "ES256 against an RSA key",
      );
    });
  } finally {
    await env.close();
  }
});
