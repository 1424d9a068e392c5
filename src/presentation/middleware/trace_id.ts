import type { MiddlewareHandler } from "hono";
import { runWithContext } from "../../shared/request_context.ts";
import type { AppEnv } from "../env.ts";

const TRACE_ID = /^[A-Za-z0-9_-]{8,64}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Picks the trace id: a valid X-Trace-Id, else a W3C traceparent's trace id, else a new one. */
export function resolveTraceId(header?: string | null, traceparent?: string | null): string {
  if (header && TRACE_ID.test(header)) return header;
  const match = traceparent?.trim().toLowerCase().match(TRACEPARENT);
  if (match && match[1] !== "ff" && !/^0+$/.test(match[2]) && !/^0+$/.test(match[3])) {
    return match[2];
  }
  return crypto.randomUUID().replaceAll("-", "");
}

/** Binds the trace id into the request context and answers it as `X-Trace-Id`. */
export function traceId(): MiddlewareHandler<AppEnv> {
  return async function traceId(c, next) {
    const id = resolveTraceId(c.req.header("x-trace-id"), c.req.header("traceparent"));
    c.set("traceId", id);
    // Set before the handler, so the response it builds carries it: a header set on a finished
    // response makes Hono copy the whole response (measurable on a cached detail read).
    c.header("X-Trace-Id", id);
    await runWithContext({ traceId: id, fields: {} }, async () => {
      await next();
      // Problem documents are built without the context and lack it.
      if (!c.res.headers.has("X-Trace-Id")) c.header("X-Trace-Id", id);
    });
  };
}
