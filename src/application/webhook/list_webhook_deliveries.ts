import type { Database } from "../../infrastructure/postgres/database.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { DeliveryStatus, WebhookDelivery } from "../../domain/webhook/webhook.ts";
import { listDeliveries } from "../../infrastructure/postgres/webhook_repository.ts";
import { badCursor, decodeCursor, encodeCursor } from "../opaque_cursor.ts";
import { guardWebhookAdmin, loadWebhook } from "./webhook_admin.ts";

/** A page of a webhook's delivery log, newest first. */
export interface WebhookDeliveryPage {
  items: WebhookDelivery[];
  nextCursor: string | null;
}

/** The delivery log of a webhook, optionally by status, keyset-paginated. */
export async function listWebhookDeliveries(
  deps: { db: Database },
  command: {
    user: CurrentUser;
    webhookId: number;
    status?: DeliveryStatus;
    cursor?: string;
    pageSize: number;
  },
): Promise<WebhookDeliveryPage> {
  const { webhookId, status, pageSize } = command;
  await guardWebhookAdmin(deps, command.user);
  await loadWebhook(deps, webhookId);
  let beforeId: number | null = null;
  if (command.cursor !== undefined) {
    const { w, s, d } = decodeCursor(command.cursor) ?? {};
    if (w !== webhookId || (s ?? null) !== (status ?? null) || !Number.isSafeInteger(d)) {
      throw badCursor("not a cursor of this delivery log and status");
    }
    beforeId = d as number;
  }
  const rows = await listDeliveries(deps.db.sql, {
    webhookId,
    status,
    beforeId,
    limit: pageSize + 1,
  });
  const items = rows.slice(0, pageSize);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > pageSize && last
      ? encodeCursor({ w: webhookId, s: status ?? null, d: last.id })
      : null,
  };
}
