import assert from "node:assert/strict";
import { cacheVerifiedTokens } from "../../src/infrastructure/auth/verified_token_cache.ts";
import { AppError } from "../../src/shared/errors.ts";

function tokenExpiringAt(expSeconds: number, subject = "U1"): string {
  const encode = (value: unknown) =>
    btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
  return `${encode({ alg: "HS256" })}.${encode({ sub: subject, exp: expSeconds })}.signature`;
}

function countingVerifier() {
  const calls: string[] = [];
  const verify = (token: string) => {
    calls.push(token);
    if (token.endsWith(".bad")) {
      return Promise.reject(new AppError("UNAUTHENTICATED", "invalid bearer token"));
    }
    return Promise.resolve({
      dingUserId: "U1",
      name: "U1",
      unionId: "",
      roles: [],
      positions: [],
      departments: [],
    });
  };
  return { calls, verify };
}

Deno.test("a verified token is not verified again until its exp or the max age", async () => {
  let now = 1_000_000_000_000;
  const { calls, verify } = countingVerifier();
  const cached = cacheVerifiedTokens(verify, { maxAgeMs: 60_000, now: () => now });
  const token = tokenExpiringAt(now / 1000 + 30);
  await cached(token);
  await cached(token);
  assert.equal(calls.length, 1);
  now += 31_000; // past exp: verified afresh (jose then decides, with its clock tolerance)
  await cached(token);
  assert.equal(calls.length, 2);

  const longLived = tokenExpiringAt(now / 1000 + 3600, "U2");
  await cached(longLived);
  now += 61_000; // past the max age
  await cached(longLived);
  assert.equal(calls.length, 4);
});

Deno.test("a rejected token is rejected every time and never cached", async () => {
  const { calls, verify } = countingVerifier();
  const cached = cacheVerifiedTokens(verify);
  const bad = `${tokenExpiringAt(Date.now() / 1000 + 60)}.bad`;
  await assert.rejects(() => cached(bad), AppError);
  await assert.rejects(() => cached(bad), AppError);
  assert.equal(calls.length, 2);
});

Deno.test("the verified-token cache drops the oldest token beyond maxEntries", async () => {
  const { calls, verify } = countingVerifier();
  const cached = cacheVerifiedTokens(verify, { maxEntries: 2 });
  const exp = Date.now() / 1000 + 600;
  const [a, b, c] = ["A", "B", "C"].map((subject) => tokenExpiringAt(exp, subject));
  await cached(a);
  await cached(b);
  await cached(c); // evicts a
  await cached(b);
  assert.equal(calls.length, 3);
  await cached(a);
  assert.equal(calls.length, 4);
});
