import { createWebhook } from "../../application/webhook/create_webhook.ts";
import { deleteWebhook } from "../../application/webhook/delete_webhook.ts";
import { getWebhook } from "../../application/webhook/get_webhook.ts";
import { listWebhookDeliveries } from "../../application/webhook/list_webhook_deliveries.ts";
import { listWebhooks } from "../../application/webhook/list_webhooks.ts";
import { redeliverWebhookDelivery } from "../../application/webhook/redeliver_webhook_delivery.ts";
import type { Dependencies } from "../../dependencies.ts";
import { createRouter } from "../router.ts";
import {
  createWebhookRoute,
  deleteWebhookRoute,
  getWebhookRoute,
  listDeliveriesRoute,
  listWebhooksRoute,
  redeliverRoute,
} from "./webhook_routes.ts";

/** /webhooks: registration, delivery log and redelivery (contract §10.7). */
export function webhookRouter(deps: Dependencies) {
  return createRouter()
    .openapi(createWebhookRoute, async (c) => {
      const webhook = await createWebhook(deps, { user: c.get("user"), ...c.req.valid("json") });
      c.header("Location", `/webhooks/${webhook.id}`);
      return c.json(webhook, 201);
    })
    .openapi(listWebhooksRoute, async (c) => {
      const page = await listWebhooks(deps, { user: c.get("user"), ...c.req.valid("query") });
      return c.json(page, 200);
    })
    .openapi(getWebhookRoute, async (c) => {
      const webhook = await getWebhook(deps, { user: c.get("user"), id: c.req.valid("param").id });
      return c.json(webhook, 200);
    })
    .openapi(deleteWebhookRoute, async (c) => {
      await deleteWebhook(deps, { user: c.get("user"), id: c.req.valid("param").id });
      return c.body(null, 204);
    })
    .openapi(listDeliveriesRoute, async (c) => {
      const page = await listWebhookDeliveries(deps, {
        user: c.get("user"),
        webhookId: c.req.valid("param").id,
        ...c.req.valid("query"),
      });
      return c.json(page, 200);
    })
    .openapi(redeliverRoute, async (c) => {
      const { id, deliveryId } = c.req.valid("param");
      const delivery = await redeliverWebhookDelivery(deps, {
        user: c.get("user"),
        webhookId: id,
        deliveryId,
      });
      return c.json(delivery, 202);
    });
}
