/** One request a test receiver got. */
export interface ReceivedWebhook {
  headers: Headers;
  body: string;
  json: { id: number; eventType: string; aggregateId: number; [key: string]: unknown };
}

/** A local HTTP server standing in for a webhook consumer. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Resolves once `count` requests have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a receiver on 127.0.0.1; `answer` decides each response's status from the request's
 * ordinal (1-based) — `"hang"` never answers (until the server closes).
 */
export function startWebhookReceiver(
  answer: (n: number, request: ReceivedWebhook) => number | "hang" | Promise<number> = () => 200,
): WebhookReceiver {
  const received: ReceivedWebhook[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const closing = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: closing.signal, onListen: () => {} },
    async (request) => {
      const body = await request.text();
      const item = { headers: request.headers, body, json: JSON.parse(body) };
      received.push(item);
      for (const waiter of waiters.filter((waiter) => received.length >= waiter.count)) {
        waiter.resolve();
      }
      const status = await answer(received.length, item);
      if (status === "hang") {
        await new Promise<void>((resolve) =>
          closing.signal.addEventListener("abort", () => resolve())
        );
        return new Response(null, { status: 503 });
      }
      return new Response(null, { status });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    received,
    waitFor(count, timeoutMs = 20_000) {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`got ${received.length} of ${count} webhook requests`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async close() {
      closing.abort();
      await server.finished;
    },
  };
}

/** Verifies a Standard Webhooks signature with the secret the API answered once. */
export async function verifyStandardWebhook(secret: string, item: ReceivedWebhook) {
  const id = item.headers.get("webhook-id")!;
  const timestamp = item.headers.get("webhook-timestamp")!;
  const keyBytes = Uint8Array.from(atob(secret.replace(/^whsec_/, "")), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey(
    "raw",
    keyBytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const signatures = item.headers.get("webhook-signature")!.split(" ");
  const content = new TextEncoder().encode(`${id}.${timestamp}.${item.body}`);
  for (const signature of signatures) {
    const [version, value] = signature.split(",");
    if (version !== "v1") continue;
    const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    if (await crypto.subtle.verify("HMAC", key, bytes, content)) return true;
  }
  return false;
}
