import type { Database } from "../../infrastructure/postgres/database.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { webhookNotFound } from "../../domain/webhook/webhook.ts";
import { deleteWebhook as deleteWebhookRow } from "../../infrastructure/postgres/webhook_repository.ts";
import { logger } from "../../shared/logger.ts";
import { bindLogFields } from "../../shared/request_context.ts";
import { guardWebhookAdmin } from "./webhook_admin.ts";

/** Deletes a webhook and its delivery log; nothing more is sent to it. 404 when missing. */
export async function deleteWebhook(
  deps: { db: Database },
  command: { user: CurrentUser; id: number },
): Promise<void> {
  await guardWebhookAdmin(deps, command.user);
  bindLogFields({ webhookId: command.id });
  const deleted = await deps.db.sql.begin((tx) => deleteWebhookRow(tx, command.id));
  if (!deleted) throw webhookNotFound(command.id);
  logger.info("webhook deleted", { webhookId: command.id });
}
