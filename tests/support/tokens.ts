import { SignJWT } from "jose";
import type { UserClaims } from "../../src/domain/auth/current_user.ts";

/** The HS256 secret of every test app. */
export const TEST_SECRET = "test-secret-of-at-least-32-bytes-long!!";
export const TEST_ISSUER = "customer-service";
export const TEST_AUDIENCE = "customer-api";

/** Claims of a test user; roles decide the domains through the built-in dictionary. */
export type TestUser = Partial<UserClaims> & { dingUserId: string };

/** Users of the built-in dictionary, one per kind of access. */
export const USERS = {
  admin: { dingUserId: "U-ADMIN", name: "Admin", roles: ["ROLE_ADMIN"] },
  std: { dingUserId: "U-STD", name: "Std Agent", roles: ["ROLE_STD_AGENT"] },
  cold: { dingUserId: "U-COLD", name: "Cold Agent", roles: ["ROLE_COLD_AGENT"] },
  bonded: { dingUserId: "U-BONDED", name: "Bonded Agent", roles: ["ROLE_BONDED_AGENT"] },
  nobody: { dingUserId: "U-NOBODY", name: "Nobody", roles: ["ROLE_UNKNOWN"] },
} satisfies Record<string, TestUser>;

/** Signs a token as the service expects it (override anything for negative tests). */
export async function signTestToken(
  user: TestUser,
  options: {
    secret?: string;
    issuer?: string;
    audience?: string;
    expiresIn?: string | number;
    algorithm?: string;
  } = {},
): Promise<string> {
  return await new SignJWT({
    name: user.name ?? user.dingUserId,
    union_id: user.unionId ?? `union-${user.dingUserId}`,
    roles: user.roles ?? [],
    positions: user.positions ?? [],
    departments: user.departments ?? [],
  })
    .setProtectedHeader({ alg: options.algorithm ?? "HS256", typ: "JWT" })
    .setSubject(user.dingUserId)
    .setIssuer(options.issuer ?? TEST_ISSUER)
    .setAudience(options.audience ?? TEST_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}
