import type { Database } from "../../infrastructure/postgres/database.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { deliveryNotFound, type WebhookDelivery } from "../../domain/webhook/webhook.ts";
import {
  findDelivery,
  requeueFailedDelivery,
} from "../../infrastructure/postgres/webhook_repository.ts";
import { AppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";
import { bindLogFields } from "../../shared/request_context.ts";
import { guardWebhookAdmin, loadWebhook } from "./webhook_admin.ts";

/**
 * Queues a FAILED delivery again with fresh attempts; the relay sends it before the webhook's
 * later events. 409 INVALID_STATUS_TRANSITION when it is not FAILED.
 */
export async function redeliverWebhookDelivery(
  deps: { db: Database },
  command: { user: CurrentUser; webhookId: number; deliveryId: number },
): Promise<WebhookDelivery> {
  const { webhookId, deliveryId } = command;
  await guardWebhookAdmin(deps, command.user);
  bindLogFields({ webhookId, deliveryId });
  await loadWebhook(deps, webhookId);
  if (!(await requeueFailedDelivery(deps.db.sql, webhookId, deliveryId))) {
    const delivery = await findDelivery(deps.db.sql, webhookId, deliveryId);
    if (!delivery) throw deliveryNotFound(webhookId, deliveryId);
    throw new AppError(
      "INVALID_STATUS_TRANSITION",
      `delivery ${deliveryId} is ${delivery.status}; only a FAILED delivery can be redelivered`,
    );
  }
  logger.info("webhook delivery requeued", { webhookId, deliveryId });
  return (await findDelivery(deps.db.sql, webhookId, deliveryId))!;
}
