import { AppError } from "../../shared/errors.ts";
import type { CurrentUser } from "../auth/current_user.ts";

/** Event types a webhook may subscribe to (the outbox's event types). */
export const WEBHOOK_EVENT_TYPES = [
  "CustomerCreated",
  "CustomerUpdated",
  "CustomerStatusChanged",
  "CustomerMerged",
  "CustomerGroupCreated",
  "CustomerGroupMembersReplaced",
] as const;

export const DELIVERY_STATUSES = ["PENDING", "DELIVERED", "FAILED"] as const;
export type DeliveryStatus = typeof DELIVERY_STATUSES[number];

/** Attempts of one delivery before it is recorded FAILED (contract §10.7). */
export const MAX_DELIVERY_ATTEMPTS = 8;

/** A registered webhook as the API shows it (never with its secret). */
export interface Webhook {
  id: number;
  url: string;
  eventTypes: string[];
  /** null: events of every business domain. */
  businessDomains: string[] | null;
  description: string | null;
  operationUid: string;
  operationName: string;
  createdAt: string;
  updatedAt: string;
}

/** One delivery of one event to one webhook, as the delivery log shows it. */
export interface WebhookDelivery {
  id: number;
  webhookId: number;
  eventId: number;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/**
 * Webhooks stream events of every business domain they match, so only a user who holds every
 * enabled domain (a `*` mapping) may manage them; anyone else gets 403 FORBIDDEN.
 */
export function requireWebhookAdmin(user: CurrentUser, enabledDomains: readonly string[]): void {
  const held = new Set(user.domainCodes);
  if (user.domainCodes.length === 0 || !enabledDomains.every((code) => held.has(code))) {
    throw new AppError(
      "FORBIDDEN",
      `webhooks need every business domain; user ${user.dingUserId} does not hold them all`,
    );
  }
}

/**
 * The delay before retry number `attempt` (1 = the first retry): exponential from `baseMs`,
 * capped at `maxMs`, with "equal jitter" (half fixed, half random) so failed receivers coming
 * back are not hit by every relay at the same instant.
 */
export function retryDelayMs(
  attempt: number,
  options: { baseMs: number; maxMs: number; random?: () => number },
): number {
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const random = options.random ?? Math.random;
  return Math.round(exponential / 2 + random() * exponential / 2);
}

export function webhookNotFound(id: number): AppError {
  return new AppError("WEBHOOK_NOT_FOUND", `webhook ${id} does not exist`);
}

export function deliveryNotFound(webhookId: number, deliveryId: number): AppError {
  return new AppError(
    "WEBHOOK_DELIVERY_NOT_FOUND",
    `webhook ${webhookId} has no delivery ${deliveryId}`,
  );
}
