import type { Database } from "../../infrastructure/postgres/database.ts";
import type { WebhookSecrets } from "../../infrastructure/webhooks/webhook_secrets.ts";
import type { WebhookUrlPolicy } from "../../infrastructure/webhooks/webhook_url_policy.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { Webhook } from "../../domain/webhook/webhook.ts";
import { insertWebhook } from "../../infrastructure/postgres/webhook_repository.ts";
import { AppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";
import { bindLogFields } from "../../shared/request_context.ts";
import { guardWebhookAdmin } from "./webhook_admin.ts";

/** Input of createWebhook (validated shape of POST /webhooks). */
export interface CreateWebhookCommand {
  user: CurrentUser;
  url: string;
  eventTypes: string[];
  businessDomains?: string[];
  description?: string | null;
}

/**
 * Registers a webhook for the events written from now on. The signing secret is answered once,
 * here, and stored encrypted; a URL the policy refuses is 400 VALIDATION_FAILED on `url`, as
 * any other invalid field (contract §5).
 */
export async function createWebhook(
  deps: { db: Database; webhookSecrets: WebhookSecrets; webhookUrlPolicy: WebhookUrlPolicy },
  { user, ...input }: CreateWebhookCommand,
): Promise<Webhook & { secret: string }> {
  await guardWebhookAdmin(deps, user);
  const refusal = await deps.webhookUrlPolicy.checkRegistration(input.url);
  if (refusal) {
    throw new AppError("VALIDATION_FAILED", `webhook url refused: ${refusal}`, {
      errors: [{ path: "url", message: refusal }],
    });
  }
  const secret = deps.webhookSecrets.generate();
  const secretCiphertext = await deps.webhookSecrets.encrypt(secret);
  const webhook = await deps.db.sql.begin((tx) =>
    insertWebhook(tx, {
      url: input.url,
      eventTypes: [...new Set(input.eventTypes)],
      businessDomains: input.businessDomains ? [...new Set(input.businessDomains)] : null,
      description: input.description ?? null,
      secretCiphertext,
      operator: { uid: user.dingUserId, name: user.name },
    })
  );
  bindLogFields({ webhookId: webhook.id });
  logger.info("webhook created", { webhookId: webhook.id, eventTypes: webhook.eventTypes });
  return { ...webhook, secret };
}
