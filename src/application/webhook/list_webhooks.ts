import type { Dependencies } from "../../dependencies.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { Webhook } from "../../domain/webhook/webhook.ts";
import { listWebhooks as listWebhookRows } from "../../infrastructure/postgres/webhook_repository.ts";
import type { Page } from "../../presentation/pagination.ts";
import { guardWebhookAdmin } from "./webhook_admin.ts";

/** The registered webhooks, oldest first (never with their secrets). */
export async function listWebhooks(
  deps: Pick<Dependencies, "db">,
  command: { user: CurrentUser; page: number; pageSize: number },
): Promise<Page<Webhook>> {
  await guardWebhookAdmin(deps, command.user);
  const { items, total } = await listWebhookRows(deps.db.sql, {
    limit: command.pageSize,
    offset: (command.page - 1) * command.pageSize,
  });
  return { items, page: command.page, pageSize: command.pageSize, total };
}
