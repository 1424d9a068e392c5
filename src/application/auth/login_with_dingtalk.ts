import type { CurrentUser, UserClaims } from "../../domain/auth/current_user.ts";
import type { RoleMappingGateway, TokenSigner } from "../../domain/auth/auth_ports.ts";
import type { DingTalkClient } from "../../infrastructure/dingtalk/dingtalk_client.ts";
import { AppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";
import { currentContext } from "../../shared/request_context.ts";

/** What the login needs; `dingtalk`/`signToken` are undefined when not configured. */
export interface LoginDeps {
  dingtalk?: DingTalkClient;
  signToken?: TokenSigner;
  roleMapping: RoleMappingGateway;
}

/** A successful login: a token this service signed plus the user it stands for. */
export interface LoginResult {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  user: CurrentUser;
}

/**
 * Exchanges a DingTalk login code for a token of this service: code -> user access token ->
 * unionId -> corp userid -> user detail (roles, title, departments) -> signed claims.
 */
export async function loginWithDingTalk(
  deps: LoginDeps,
  input: { authCode: string },
): Promise<LoginResult> {
  const { dingtalk, signToken } = deps;
  // Checked before the exchange so a code is never spent on a login that cannot finish.
  if (!dingtalk) {
    throw new AppError(
      "SERVICE_UNAVAILABLE",
      "DingTalk login is not configured on this server (set DINGTALK_APP_KEY and DINGTALK_APP_SECRET)",
    );
  }
  if (!signToken) {
    throw new AppError(
      "SERVICE_UNAVAILABLE",
      "this server cannot sign tokens: only a public key is configured (set JWT_PRIVATE_KEY)",
    );
  }
  const userAccessToken = await dingtalk.userAccessToken(input.authCode);
  const unionId = await dingtalk.currentUnionId(userAccessToken);
  const userid = await dingtalk.userIdByUnionId(unionId);
  const detail = await dingtalk.userDetail(userid);

  const claims: UserClaims = {
    dingUserId: detail.userid,
    name: detail.name,
    unionId: detail.unionid ?? unionId,
    roles: detail.roleNames,
    positions: detail.title ? [detail.title] : [],
    departments: detail.deptIds,
  };
  const context = currentContext();
  if (context) context.dingUserId = claims.dingUserId;
  const user = await deps.roleMapping.currentUser(claims);
  const { token, expiresIn } = await signToken(claims);
  logger.info("dingtalk login", {
    union_id: claims.unionId,
    roles: claims.roles,
    domain_codes: user.domainCodes,
  });
  return { accessToken: token, tokenType: "Bearer", expiresIn, user };
}
