import type { Database } from "../../infrastructure/postgres/database.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { Webhook } from "../../domain/webhook/webhook.ts";
import { guardWebhookAdmin, loadWebhook } from "./webhook_admin.ts";

/** One webhook (without its secret); 404 WEBHOOK_NOT_FOUND. */
export async function getWebhook(
  deps: { db: Database },
  command: { user: CurrentUser; id: number },
): Promise<Webhook> {
  await guardWebhookAdmin(deps, command.user);
  return await loadWebhook(deps, command.id);
}
