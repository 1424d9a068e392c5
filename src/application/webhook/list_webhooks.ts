import type { Config } from "../../config.ts";
import type { Database } from "../../infrastructure/postgres/database.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { Webhook } from "../../domain/webhook/webhook.ts";
import { listWebhooks as listWebhookRows } from "../../infrastructure/postgres/webhook_repository.ts";
import type { Page } from "../shared/page.ts";
import { pageAnswer, pageStart, type PagingInput } from "../shared/list_paging.ts";
import { guardWebhookAdmin } from "./webhook_admin.ts";

const SCOPE = { list: "webhooks", filters: {}, sort: "id" };

/** The registered webhooks, oldest first (never with their secrets); pages or a cursor. */
export async function listWebhooks(
  deps: { db: Database; config: Config },
  command: PagingInput & { user: CurrentUser },
): Promise<Page<Webhook>> {
  await guardWebhookAdmin(deps, command.user);
  const { items, total, next } = await listWebhookRows(
    deps.db.sql,
    pageStart(deps.config, SCOPE, command),
  );
  return { items, ...pageAnswer(deps.config, SCOPE, command, next), total };
}
