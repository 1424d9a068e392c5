import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { startTestApp } from "../support/test_app.ts";
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET } from "../support/tokens.ts";

// Issue 13: a token's `typ`, when present, must say JWT (RFC 8725 §3.11), so a token typed for
// another purpose and signed with the same key is not taken as an access token of this API.

async function tokenWithTyp(typ: string | undefined): Promise<string> {
  const header: { alg: string; typ?: string } = { alg: "HS256" };
  if (typ !== undefined) header.typ = typ;
  return await new SignJWT({ roles: ["ROLE_STD_AGENT"], positions: [], departments: [] })
    .setProtectedHeader(header)
    .setSubject("U-TYP")
    .setIssuer(TEST_ISSUER)
    .setAudience(TEST_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(TEST_SECRET));
}

Deno.test("a token typed other than JWT is refused", async () => {
  const env = await startTestApp("jwt_typ", { redis: false });
  try {
    for (const typ of [undefined, "JWT", "jwt", "application/jwt"]) {
      const response = await env.request("GET", "/auth/me", { token: await tokenWithTyp(typ) });
      assert.equal(response.status, 200, `typ ${typ}`);
      await response.body?.cancel();
    }
    for (const typ of ["at+jwt", "logout+jwt", "JOSE"]) {
      const response = await env.request("GET", "/auth/me", { token: await tokenWithTyp(typ) });
      assert.equal(response.status, 401, `typ ${typ}`);
      assert.equal((await response.json()).code, "UNAUTHENTICATED");
    }
  } finally {
    await env.close();
  }
});

Deno.test("tokens this service signs live one hour unless configured", async () => {
  const { loadConfig } = await import("../../src/config.ts");
  assert.equal(loadConfig({ APP_ENV: "test" }).JWT_TTL_SECONDS, 3600);
});
