import type { CurrentUser, UserClaims } from "./current_user.ts";

/** Verifies a bearer token and answers its identity claims; throws 401 UNAUTHENTICATED. */
export type TokenVerifier = (token: string) => Promise<UserClaims>;

/** Signs a token for the given claims; answers the token and its lifetime in seconds. */
export type TokenSigner = (
  claims: UserClaims,
  ttlSeconds?: number,
) => Promise<{ token: string; expiresIn: number }>;

/** DingTalkRoleMappingGateway: turns verified claims into a CurrentUser with its domains. */
export interface RoleMappingGateway {
  currentUser(claims: UserClaims): Promise<CurrentUser>;
}
