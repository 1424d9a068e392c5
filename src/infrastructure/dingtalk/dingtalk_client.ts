import { z } from "zod";
import type { Config } from "../../config.ts";
import { AppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";

/** The DingTalk user detail the login needs (from `topapi/v2/user/get`). */
export interface DingTalkUserDetail {
  userid: string;
  unionid?: string;
  name: string;
  title?: string;
  roleNames: string[];
  deptIds: string[];
}

/** The calls of the login exchange; each throws AppError (401 or 502), never a raw error. */
export interface DingTalkClient {
  /** Exchanges a login code for a user access token; 401 when DingTalk rejects the code. */
  userAccessToken(authCode: string): Promise<string>;
  /** The unionId of the user the access token belongs to. */
  currentUnionId(userAccessToken: string): Promise<string>;
  /** The corp userid of a unionId; 401 when the person is not a member of the organisation. */
  userIdByUnionId(unionId: string): Promise<string>;
  /** The user's name, title, roles and departments. */
  userDetail(userid: string): Promise<DingTalkUserDetail>;
}

/** Options of the client: credentials, base URLs, time-out, and a clock for tests. */
export interface DingTalkClientOptions {
  appKey: string;
  appSecret: string;
  apiBase: string;
  oapiBase: string;
  timeoutMs: number;
  now?: () => number;
}

/** Corp tokens are refreshed this long before DingTalk says they expire. */
const TOKEN_MARGIN_SECONDS = 300;
/** oapi errcodes that mean the corp token is stale: drop it and retry once. */
const STALE_TOKEN_ERRCODES = new Set([40001, 40014, 42001]);
/** getbyunionid: "the user does not exist" in this organisation. */
const NO_SUCH_USER_ERRCODE = 60121;

const UserAccessTokenAnswer = z.object({ accessToken: z.string().min(1) });
const MeAnswer = z.object({ unionId: z.string().min(1) });
const OapiAnswer = z.object({ errcode: z.number(), errmsg: z.string().optional() });
const CorpTokenAnswer = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});
const UserIdAnswer = z.object({ result: z.object({ userid: z.string().min(1) }) });
const UserDetailAnswer = z.object({
  result: z.object({
    userid: z.string().min(1),
    unionid: z.string().optional(),
    name: z.string(),
    title: z.string().optional(),
    dept_id_list: z.array(z.union([z.number(), z.string()])).optional(),
    role_list: z.array(z.object({ name: z.string() })).optional(),
  }),
});

/** Builds the client from the configuration; undefined when the app credentials are not set. */
export function dingTalkClientFromConfig(
  config: Pick<
    Config,
    | "DINGTALK_APP_KEY"
    | "DINGTALK_APP_SECRET"
    | "DINGTALK_API_BASE"
    | "DINGTALK_OAPI_BASE"
    | "DINGTALK_TIMEOUT_MS"
  >,
): DingTalkClient | undefined {
  if (!config.DINGTALK_APP_KEY || !config.DINGTALK_APP_SECRET) return undefined;
  return createDingTalkClient({
    appKey: config.DINGTALK_APP_KEY,
    appSecret: config.DINGTALK_APP_SECRET,
    apiBase: config.DINGTALK_API_BASE,
    oapiBase: config.DINGTALK_OAPI_BASE,
    timeoutMs: config.DINGTALK_TIMEOUT_MS,
  });
}

/** Internal signal: the corp token was rejected and should be fetched again. */
class StaleCorpToken extends Error {}

function unavailable(step: string, reason: string, fields: Record<string, unknown> = {}): AppError {
  logger.warn("dingtalk call failed", { step, reason, ...fields });
  return new AppError("DINGTALK_UNAVAILABLE", `DingTalk ${step} failed: ${reason}`);
}

/** Creates the client over `fetch`; every call is bounded by `timeoutMs`. */
export function createDingTalkClient(options: DingTalkClientOptions): DingTalkClient {
  const now = options.now ?? Date.now;
  const apiBase = options.apiBase.replace(/\/+$/, "");
  const oapiBase = options.oapiBase.replace(/\/+$/, "");
  let corpToken: { value: string; expiresAt: number } | undefined;
  let corpTokenLoading: Promise<string> | undefined;

  /** One HTTP call: answers status and parsed JSON body; time-outs and network errors are 502. */
  async function call(
    step: string,
    url: string,
    init: RequestInit,
  ): Promise<{ status: number; body: unknown }> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) });
      const text = await response.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: response.status, body };
    } catch (error) {
      const name = (error as Error).name;
      if (name === "TimeoutError" || name === "AbortError") {
        throw unavailable(step, `no answer within ${options.timeoutMs} ms`);
      }
      // Not the message: fetch puts the URL in it, and the gettoken URL carries the app secret
      // in its query (contract §10.3). The error's name and cause code say what went wrong.
      const cause = (error as { cause?: { code?: unknown; name?: unknown } }).cause;
      throw unavailable(step, "DingTalk cannot be reached", {
        error: name,
        cause: cause?.code ?? cause?.name,
      });
    }
  }

  function parse<T>(step: string, schema: z.ZodType<T>, body: unknown): T {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw unavailable(step, "malformed answer");
    return parsed.data;
  }

  /** An oapi call: HTTP 200 with `errcode` 0, else 502 (or the mapped error). */
  async function oapi<T>(
    step: string,
    path: string,
    init: RequestInit,
    schema: z.ZodType<T>,
    onErrcode?: (errcode: number) => AppError | "retry" | undefined,
  ): Promise<T> {
    const { status, body } = await call(step, `${oapiBase}${path}`, init);
    if (status !== 200) throw unavailable(step, `HTTP ${status}`, { status });
    const answer = parse(step, OapiAnswer, body);
    if (answer.errcode !== 0) {
      const mapped = onErrcode?.(answer.errcode);
      if (mapped === "retry") throw new StaleCorpToken();
      if (mapped) throw mapped;
      throw unavailable(step, `errcode ${answer.errcode}`, {
        errcode: answer.errcode,
        errmsg: answer.errmsg,
      });
    }
    return parse(step, schema, body);
  }

  async function loadCorpToken(): Promise<string> {
    const query = new URLSearchParams({ appkey: options.appKey, appsecret: options.appSecret });
    const answer = await oapi("gettoken", `/gettoken?${query}`, { method: "GET" }, CorpTokenAnswer);
    const lifetime = Math.max(answer.expires_in - TOKEN_MARGIN_SECONDS, answer.expires_in / 2);
    corpToken = { value: answer.access_token, expiresAt: now() + lifetime * 1000 };
    return answer.access_token;
  }

  /** The corp access token, cached for its lifetime (DingTalk rate-limits gettoken). */
  async function currentCorpToken(): Promise<string> {
    if (corpToken && now() < corpToken.expiresAt) return corpToken.value;
    corpTokenLoading ??= loadCorpToken().finally(() => (corpTokenLoading = undefined));
    return await corpTokenLoading;
  }

  /** Runs an oapi call with the corp token; a stale token is dropped and the call retried once. */
  async function withCorpToken<T>(run: (token: string) => Promise<T>): Promise<T> {
    try {
      return await run(await currentCorpToken());
    } catch (error) {
      if (!(error instanceof StaleCorpToken)) throw error;
      corpToken = undefined;
      try {
        return await run(await currentCorpToken());
      } catch (retryError) {
        if (retryError instanceof StaleCorpToken) {
          throw unavailable("gettoken", "DingTalk rejects a fresh corp access token");
        }
        throw retryError;
      }
    }
  }

  const staleToken = (errcode: number) =>
    STALE_TOKEN_ERRCODES.has(errcode) ? "retry" as const : undefined;
  const json = (body: unknown): RequestInit => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

  return {
    async userAccessToken(authCode) {
      const step = "userAccessToken";
      const { status, body } = await call(
        step,
        `${apiBase}/v1.0/oauth2/userAccessToken`,
        json({
          clientId: options.appKey,
          clientSecret: options.appSecret,
          code: authCode,
          grantType: "authorization_code",
        }),
      );
      // 4xx means the code is invalid, used or expired; 429 and 5xx are DingTalk's trouble.
      if (status >= 400 && status < 500 && status !== 429) {
        const code = (body as { code?: unknown } | undefined)?.code;
        logger.info("dingtalk rejected the login code", { status, dingtalk_code: code });
        throw new AppError("AUTHENTICATION_FAILED", "DingTalk rejected the login code");
      }
      if (status !== 200) throw unavailable(step, `HTTP ${status}`, { status });
      return parse(step, UserAccessTokenAnswer, body).accessToken;
    },

    async currentUnionId(userAccessToken) {
      const step = "contact/users/me";
      const { status, body } = await call(step, `${apiBase}/v1.0/contact/users/me`, {
        method: "GET",
        headers: { "x-acs-dingtalk-access-token": userAccessToken },
      });
      if (status !== 200) throw unavailable(step, `HTTP ${status}`, { status });
      return parse(step, MeAnswer, body).unionId;
    },

    async userIdByUnionId(unionId) {
      const answer = await withCorpToken((token) =>
        oapi(
          "topapi/user/getbyunionid",
          `/topapi/user/getbyunionid?${new URLSearchParams({ access_token: token })}`,
          json({ unionid: unionId }),
          UserIdAnswer,
          (errcode) =>
            errcode === NO_SUCH_USER_ERRCODE
              ? new AppError(
                "AUTHENTICATION_FAILED",
                "the DingTalk user is not a member of this organisation",
              )
              : staleToken(errcode),
        )
      );
      return answer.result.userid;
    },

    async userDetail(userid) {
      const answer = await withCorpToken((token) =>
        oapi(
          "topapi/v2/user/get",
          `/topapi/v2/user/get?${new URLSearchParams({ access_token: token })}`,
          json({ userid, language: "zh_CN" }),
          UserDetailAnswer,
          staleToken,
        )
      );
      const result = answer.result;
      return {
        userid: result.userid,
        unionid: result.unionid || undefined,
        name: result.name,
        title: result.title?.trim() || undefined,
        roleNames: (result.role_list ?? []).map((role) => role.name),
        deptIds: (result.dept_id_list ?? []).map(String),
      };
    },
  };
}
