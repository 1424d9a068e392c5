import { AsyncLocalStorage } from "node:async_hooks";

/** What every log line of a request is bound with. */
export interface RequestContext {
  traceId: string;
  dingUserId?: string;
  /** The authenticated user's display name, recorded as the operator of domain events. */
  dingUserName?: string;
  fields: Record<string, unknown>;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs fn with the given request context bound for all async work it starts. */
export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the running request, if any. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Binds extra fields (e.g. customerId) into the current request's log lines. */
export function bindLogFields(fields: Record<string, unknown>): void {
  const context = storage.getStore();
  if (context) Object.assign(context.fields, fields);
}
