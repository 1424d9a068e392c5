import { currentContext } from "./request_context.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where log lines go; tests swap it to capture lines. */
export type LogSink = (line: string) => void;

const settings: { level: LogLevel; sink: LogSink } = {
  level: "info",
  sink: (line) => console.log(line),
};

/** Sets the minimum level and, optionally, the sink of every logger. */
export function configureLogging(options: { level?: LogLevel; sink?: LogSink }): void {
  if (options.level) settings.level = options.level;
  if (options.sink) settings.sink = options.sink;
}

/** Masks a DingTalk union id so it can be correlated but never read: `ab***yz`. */
export function maskUnionId(value: string): string {
  if (value.length <= 4) return "***";
  return `${value.slice(0, 2)}***${value.slice(-2)}`;
}

const UNION_ID_KEYS = new Set(["union_id", "unionId", "unionid"]);

function redact(value: unknown, depth = 0): unknown {
  if (depth > 5 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = UNION_ID_KEYS.has(key) && typeof item === "string"
      ? maskUnionId(item)
      : redact(item, depth + 1);
  }
  return out;
}

/** A structured logger writing one JSON line per call, bound to the request context. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Creates a logger whose lines carry the given fields plus trace_id and ding_user_id. */
export function createLogger(bound: Record<string, unknown> = {}): Logger {
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < LEVELS[settings.level]) return;
    const context = currentContext();
    const line = redact({
      time: new Date().toISOString(),
      level,
      msg: message,
      ...(context
        ? { trace_id: context.traceId, ding_user_id: context.dingUserId ?? null, ...context.fields }
        : {}),
      ...bound,
      ...fields,
    });
    settings.sink(JSON.stringify(line));
  };
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
    child: (fields) => createLogger({ ...bound, ...fields }),
  };
}

/** The process-wide logger. */
export const logger: Logger = createLogger();
