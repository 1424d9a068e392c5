import type { Redis } from "ioredis";
import { logger } from "../../shared/logger.ts";

/** Tells every instance which cache keys a write invalidated. */
export interface InvalidationBus {
  /** True while this instance is subscribed: only then may it trust its L1. */
  readonly live: boolean;
  publish(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** What the bus reports to the cache. */
export interface InvalidationListener {
  /** Keys another instance (or this one) invalidated. */
  keys(keys: string[]): void;
  /** The subscription was lost or regained: anything held may have missed messages. */
  reset(): void;
}

/**
 * Redis pub/sub on `${keyPrefix}cache-invalidation` (ioredis prefixes keys, not channels, so the
 * prefix is added here to keep deployments and test apps sharing one Redis apart). The subscriber
 * is a second connection; every state change of it resets the listener, so an instance never
 * trusts its L1 across a gap in which messages may have been lost.
 */
export async function createRedisInvalidationBus(
  client: Redis,
  listener: InvalidationListener,
  options: { keyPrefix: string },
): Promise<InvalidationBus> {
  const channel = `${options.keyPrefix}cache-invalidation`;
  // The duplicate keeps the fail-fast options; a prefix means nothing to a subscriber.
  const subscriber = client.duplicate({ keyPrefix: undefined, autoResubscribe: false });
  let live = false;
  let closed = false;
  let markSubscribed = () => {};
  const subscribed = new Promise<void>((resolve) => (markSubscribed = resolve));

  const lose = () => {
    if (!live) return;
    live = false;
    listener.reset();
    logger.warn("cache invalidation subscription lost; in-process cache bypassed");
  };
  const subscribe = async () => {
    try {
      await subscriber.subscribe(channel);
      // Whatever was published while unsubscribed is unknown: start from an empty L1.
      listener.reset();
      live = true;
      markSubscribed();
    } catch (error) {
      logger.warn("cache invalidation subscribe failed", { error: (error as Error).message });
    }
  };
  subscriber.on("message", (_channel: string, message: string) => {
    try {
      listener.keys(JSON.parse(message) as string[]);
    } catch {
      // A foreign or garbled message: dropping everything is the safe reading of it.
      listener.reset();
    }
  });
  subscriber.on("ready", () => void subscribe());
  subscriber.on("close", lose);
  subscriber.on("end", lose);
  subscriber.on("error", () => {
    // Logged by the main client's handler; the state changes arrive as close/end.
  });
  // Start subscribed when Redis answers, so a fresh instance uses its L1 from the first request.
  if (client.status === "ready") {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      subscribed,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000))),
    ]);
    clearTimeout(timer);
  }

  return {
    get live() {
      return live && !closed;
    },
    async publish(keys) {
      if (keys.length === 0) return;
      await client.publish(channel, JSON.stringify(keys));
    },
    async close() {
      closed = true;
      subscriber.disconnect();
      await Promise.resolve();
    },
  };
}
