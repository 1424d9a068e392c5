import type { Config } from "../../config.ts";
import { MAX_DELIVERY_ATTEMPTS, retryDelayMs } from "../../domain/webhook/webhook.ts";
import { logger } from "../../shared/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Sql } from "../postgres/database.ts";
import {
  type ClaimedWebhook,
  claimWebhooks,
  fanOutEvents,
  pendingDeliveries,
  type PendingDelivery,
  recordDelivered,
  recordFailedAttempt,
  relayLagSeconds,
  releaseWebhook,
} from "../postgres/webhook_relay_repository.ts";
import { signWebhook, type WebhookSecrets } from "./webhook_secrets.ts";
import type { WebhookUrlPolicy } from "./webhook_url_policy.ts";

/** The outbox relay of one instance: fans events out to webhooks and delivers them. */
export interface WebhookRelay {
  /** Identifies this instance's leases in the `webhook` table. */
  readonly owner: string;
  /** Stops polling, lets in-flight requests finish (at most the timeout), releases leases. */
  stop(): Promise<void>;
}

/** What the relay runs on. */
export interface WebhookRelayDeps {
  sql: Sql;
  config: Pick<
    Config,
    | "WEBHOOK_TIMEOUT_MS"
    | "WEBHOOK_RETRY_BASE_MS"
    | "WEBHOOK_RETRY_MAX_MS"
    | "WEBHOOK_RELAY_POLL_MS"
    | "WEBHOOK_RELAY_BATCH"
    | "WEBHOOK_RELAY_LEASE_MS"
  >;
  metrics: Pick<Metrics, "setWebhookRelayLag" | "recordWebhookAttempt">;
  webhookSecrets: WebhookSecrets;
  webhookUrlPolicy: WebhookUrlPolicy;
}

/** Webhooks one relay serves at once (each one's deliveries stay sequential). */
const WEBHOOKS_PER_CLAIM = 4;
/** Events fanned out per transaction. */
const FANOUT_BATCH = 100;

type Attempt = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** A failure as logged and shown in the delivery log, without the URL (it may hold a token). */
function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "timed out";
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\bhttps?:\/\/[^\s)]+/gi, "<url>");
}

/** Starts the relay loop; it runs until stop(). */
export function startWebhookRelay(
  deps: WebhookRelayDeps,
  options: { owner?: string } = {},
): WebhookRelay {
  const { sql, config, metrics } = deps;
  const owner = options.owner ?? `${Deno.hostname()}:${Deno.pid}:${crypto.randomUUID()}`;
  const stopped = new AbortController();

  const send = async (
    webhook: ClaimedWebhook,
    secret: string,
    delivery: PendingDelivery,
  ): Promise<Attempt> => {
    const body = JSON.stringify(delivery.event);
    const id = String(delivery.event.id);
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const response = await fetch(webhook.url, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(config.WEBHOOK_TIMEOUT_MS),
        headers: {
          "content-type": "application/json",
          "user-agent": "customer-service-webhooks/1",
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": await signWebhook(secret, { id, timestamp, body }),
        },
        body,
      });
      await response.body?.cancel();
      return response.ok
        ? { ok: true, status: response.status }
        : { ok: false, status: response.status, error: `answered HTTP ${response.status}` };
    } catch (error) {
      return { ok: false, status: null, error: describe(error) };
    }
  };

  const recordFailure = async (delivery: PendingDelivery, attempt: Attempt & { ok: false }) => {
    const attempts = delivery.attempts + 1;
    const final = attempts >= MAX_DELIVERY_ATTEMPTS;
    await recordFailedAttempt(sql, {
      id: delivery.id,
      responseStatus: attempt.status,
      error: attempt.error,
      final,
      retryInMs: final ? 0 : retryDelayMs(attempts, {
        baseMs: config.WEBHOOK_RETRY_BASE_MS,
        maxMs: config.WEBHOOK_RETRY_MAX_MS,
      }),
    });
    metrics.recordWebhookAttempt(final ? "failed" : "retrying");
    if (final) {
      logger.warn("webhook delivery failed", {
        deliveryId: delivery.id,
        eventId: delivery.event.id,
        attempts,
        error: attempt.error,
      });
    }
  };

  // Sends a leased webhook's due deliveries in event order, stopping at the first failure (its
  // retry is due later, and nothing after it may overtake it).
  const serve = async (webhook: ClaimedWebhook): Promise<void> => {
    const startedAt = Date.now();
    try {
      const deliveries = await pendingDeliveries(sql, webhook.id, config.WEBHOOK_RELAY_BATCH);
      if (deliveries.length === 0) return;
      const refusal = await deps.webhookUrlPolicy.checkDelivery(webhook.url);
      let blocked = refusal ? `url refused: ${refusal}` : undefined;
      let secret = "";
      if (!blocked) {
        secret = await deps.webhookSecrets.decrypt(webhook.secretCiphertext).catch(() => {
          blocked = "the secret cannot be decrypted (was WEBHOOK_SECRET_KEY changed?)";
          return "";
        });
      }
      for (const delivery of deliveries) {
        // Within half the lease, so no other instance can take the webhook over mid-send.
        if (stopped.signal.aborted || Date.now() - startedAt > config.WEBHOOK_RELAY_LEASE_MS / 2) {
          break;
        }
        const attempt: Attempt = blocked
          ? { ok: false, status: null, error: blocked }
          : await send(webhook, secret, delivery);
        if (!attempt.ok) {
          await recordFailure(delivery, attempt);
          break;
        }
        await recordDelivered(sql, {
          id: delivery.id,
          eventId: delivery.event.id,
          responseStatus: attempt.status,
        });
        metrics.recordWebhookAttempt("delivered");
      }
    } finally {
      await releaseWebhook(sql, webhook.id, owner).catch((error) =>
        logger.warn("webhook lease not released", { webhookId: webhook.id, error: describe(error) })
      );
    }
  };

  const tick = async (): Promise<boolean> => {
    const fannedOut = await fanOutEvents(sql, FANOUT_BATCH);
    const claimed = stopped.signal.aborted ? [] : await claimWebhooks(sql, {
      owner,
      leaseMs: config.WEBHOOK_RELAY_LEASE_MS,
      limit: WEBHOOKS_PER_CLAIM,
    });
    // Settled, not all: stop() must not return while another webhook's request is in flight.
    for (const result of await Promise.allSettled(claimed.map(serve))) {
      if (result.status === "rejected") {
        logger.error("webhook delivery step failed", { error: describe(result.reason) });
      }
    }
    metrics.setWebhookRelayLag(await relayLagSeconds(sql));
    return fannedOut > 0 || claimed.length > 0;
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stopped.signal.removeEventListener("abort", done);
        resolve();
      }
      stopped.signal.addEventListener("abort", done);
    });

  const loop = (async () => {
    while (!stopped.signal.aborted) {
      let busy = false;
      try {
        busy = await tick();
      } catch (error) {
        logger.error("webhook relay step failed", { error: describe(error) });
      }
      if (!busy) await pause(config.WEBHOOK_RELAY_POLL_MS);
    }
  })();

  logger.info("webhook relay started", { owner });
  return {
    owner,
    async stop() {
      stopped.abort();
      await loop;
      logger.info("webhook relay stopped", { owner });
    },
  };
}
