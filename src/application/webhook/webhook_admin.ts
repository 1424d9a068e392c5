import type { Database } from "../../infrastructure/postgres/database.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { requireWebhookAdmin, type Webhook } from "../../domain/webhook/webhook.ts";
import { webhookNotFound } from "../../domain/webhook/webhook.ts";
import { listEnabledDomainCodes } from "../../infrastructure/postgres/role_mapping_repository.ts";
import { findWebhook } from "../../infrastructure/postgres/webhook_repository.ts";

/** The guard of every webhook use case: 403 unless the user holds every enabled domain. */
export async function guardWebhookAdmin(
  deps: { db: Database },
  user: CurrentUser,
): Promise<void> {
  requireWebhookAdmin(user, await listEnabledDomainCodes(deps.db.sql));
}

/** A webhook by id; 404 WEBHOOK_NOT_FOUND when it does not exist. */
export async function loadWebhook(deps: { db: Database }, id: number): Promise<Webhook> {
  const webhook = await findWebhook(deps.db.sql, id);
  if (!webhook) throw webhookNotFound(id);
  return webhook;
}
