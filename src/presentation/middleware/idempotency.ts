import type { MiddlewareHandler } from "hono";
import { beginIdempotentRequest } from "../../application/idempotency/begin_idempotent_request.ts";
import { finishIdempotentRequest } from "../../application/idempotency/finish_idempotent_request.ts";
import type { Dependencies } from "../../dependencies.ts";
import {
  IDEMPOTENCY_KEY_HEADER,
  type IdempotentRequest,
  parseIdempotencyKey,
  REPLAYED_HEADERS,
  requestFingerprint,
  type StoredAnswer,
} from "../../domain/idempotency/idempotency_key.ts";
import type { AppEnv } from "../env.ts";

/** The header marking a replayed answer (contract §10.4). */
export const REPLAYED_HEADER = "Idempotency-Replayed";

async function captureAnswer(response: Response): Promise<StoredAnswer> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  // A clone: the original still goes to the client.
  const body = new Uint8Array(await response.clone().arrayBuffer());
  return { status: response.status, headers, body };
}

function replay(answer: StoredAnswer): Response {
  return new Response(answer.body.byteLength > 0 ? answer.body : null, {
    status: answer.status,
    headers: { ...answer.headers, [REPLAYED_HEADER.toLowerCase()]: "true" },
  });
}

/**
 * Idempotency-Key on a write route (contract §10.4), after authentication: without the header
 * the request runs as usual; with it, the first request under the key runs and its answer is
 * kept 24 h, the same request again gets that answer replayed, and anything else is refused.
 */
export function idempotency(deps: Pick<Dependencies, "db">): MiddlewareHandler<AppEnv> {
  return async function idempotency(c, next) {
    const header = c.req.header(IDEMPOTENCY_KEY_HEADER);
    if (header === undefined) return await next();
    const url = new URL(c.req.url);
    const request: IdempotentRequest = {
      userId: c.get("user").dingUserId,
      key: parseIdempotencyKey(header),
      method: c.req.method,
      path: url.pathname + url.search,
      // Read through Hono's body cache: the route's JSON validator reads the same text after.
      fingerprint: await requestFingerprint(await c.req.text()),
    };
    const decision = await beginIdempotentRequest(deps, { request });
    if (decision.kind === "replay") return replay(decision.answer);
    await next();
    await finishIdempotentRequest(deps, {
      request,
      token: decision.token,
      answer: await captureAnswer(c.res),
    });
  };
}
