/** A local fake of the DingTalk APIs the login calls, on a random port. */

/** One person the fake knows, reachable through their login code. */
export interface FakeDingTalkUser {
  code: string;
  unionid: string;
  userid: string;
  name: string;
  title?: string;
  roles: string[];
  deptIds: number[];
}

/** How the fake misbehaves: a status for every call, or a sleep before answering. */
export interface FakeDingTalkMode {
  failWith?: number;
  sleepMs?: number;
  /** Non-zero errcode for the oapi calls (HTTP 200). */
  oapiErrcode?: number;
}

/** The running fake: its base URL, the calls it saw, and a mode to switch per test step. */
export interface FakeDingTalk {
  baseUrl: string;
  calls: string[];
  mode: FakeDingTalkMode;
  users: FakeDingTalkUser[];
  close(): Promise<void>;
}

const APP_KEY = "fake-app-key";
const APP_SECRET = "fake-app-secret";

/** The environment that points an app at the fake. */
export function fakeDingTalkEnv(fake: FakeDingTalk): Record<string, string> {
  return {
    DINGTALK_APP_KEY: APP_KEY,
    DINGTALK_APP_SECRET: APP_SECRET,
    DINGTALK_API_BASE: fake.baseUrl,
    DINGTALK_OAPI_BASE: fake.baseUrl,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts the fake on 127.0.0.1:0 with the given users. */
export function startFakeDingTalk(users: FakeDingTalkUser[]): FakeDingTalk {
  const calls: string[] = [];
  const accessTokens = new Map<string, FakeDingTalkUser>();
  const corpToken = "corp-token-1";
  const fake = { calls, mode: {} as FakeDingTalkMode, users };

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    calls.push(url.pathname);
    if (fake.mode.sleepMs) await sleep(fake.mode.sleepMs, request.signal);
    if (fake.mode.failWith) {
      return Response.json({ code: "ServerError", message: "boom" }, {
        status: fake.mode.failWith,
      });
    }
    const body = request.method === "POST" ? await request.json() : undefined;
    const byUnionId = (unionid: string) => fake.users.find((user) => user.unionid === unionid);
    switch (url.pathname) {
      case "/v1.0/oauth2/userAccessToken": {
        const user = fake.users.find((candidate) => candidate.code === body.code);
        if (body.clientId !== APP_KEY || body.clientSecret !== APP_SECRET || !user) {
          return Response.json({ code: "invalidAuthCode", message: "bad code" }, { status: 400 });
        }
        const token = `user-token-${crypto.randomUUID()}`;
        accessTokens.set(token, user);
        return Response.json({ accessToken: token, refreshToken: "r", expireIn: 7200 });
      }
      case "/v1.0/contact/users/me": {
        const user = accessTokens.get(request.headers.get("x-acs-dingtalk-access-token") ?? "");
        if (!user) return Response.json({ code: "InvalidAuthentication" }, { status: 401 });
        return Response.json({ nick: user.name, unionId: user.unionid, openId: "o" });
      }
      case "/gettoken": {
        const ok = url.searchParams.get("appkey") === APP_KEY &&
          url.searchParams.get("appsecret") === APP_SECRET;
        return Response.json(
          ok
            ? { errcode: 0, errmsg: "ok", access_token: corpToken, expires_in: 7200 }
            : { errcode: 40089, errmsg: "invalid appkey or appsecret" },
        );
      }
      case "/topapi/user/getbyunionid":
      case "/topapi/v2/user/get": {
        if (fake.mode.oapiErrcode) {
          return Response.json({ errcode: fake.mode.oapiErrcode, errmsg: "failed" });
        }
        if (url.searchParams.get("access_token") !== corpToken) {
          return Response.json({ errcode: 40014, errmsg: "invalid access_token" });
        }
        if (url.pathname === "/topapi/user/getbyunionid") {
          const user = byUnionId(body.unionid);
          if (!user) return Response.json({ errcode: 60121, errmsg: "user not found" });
          return Response.json({ errcode: 0, result: { contact_type: 0, userid: user.userid } });
        }
        const user = fake.users.find((candidate) => candidate.userid === body.userid);
        if (!user) return Response.json({ errcode: 60121, errmsg: "user not found" });
        return Response.json({
          errcode: 0,
          errmsg: "ok",
          result: {
            userid: user.userid,
            unionid: user.unionid,
            name: user.name,
            title: user.title ?? "",
            dept_id_list: user.deptIds,
            role_list: user.roles.map((name, id) => ({ id, name, group_name: "default" })),
          },
        });
      }
    }
    return Response.json({ code: "NotFound" }, { status: 404 });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  return Object.assign(fake, {
    baseUrl: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  });
}
