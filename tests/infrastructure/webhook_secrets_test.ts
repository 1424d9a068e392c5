import assert from "node:assert/strict";
import { ConfigError } from "../../src/config.ts";
import { isAppError } from "../../src/shared/errors.ts";
import {
  createWebhookSecrets,
  DEVELOPMENT_WEBHOOK_SECRET_KEY,
  secretKeyBytes,
  signWebhook,
} from "../../src/infrastructure/webhooks/webhook_secrets.ts";

Deno.test("signatures match the Standard Webhooks reference vector", async () => {
  const signature = await signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", {
    id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
  });
  assert.equal(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
});

Deno.test("secrets are random whsec_ keys, sealed with AES-GCM under the configured key", async () => {
  const secrets = await createWebhookSecrets({
    APP_ENV: "test",
    WEBHOOK_SECRET_KEY: "k".repeat(32),
  });
  const secret = secrets.generate();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(secretKeyBytes(secret).length, 32);
  assert.notEqual(secrets.generate(), secret);
  const sealed = await secrets.encrypt(secret);
  assert.equal(await secrets.decrypt(sealed), secret);
  assert.notEqual((await secrets.encrypt(secret)).join(), sealed.join(), "a fresh IV each time");
  const otherKey = await createWebhookSecrets({
    APP_ENV: "test",
    WEBHOOK_SECRET_KEY: "o".repeat(32),
  });
  await assert.rejects(() => otherKey.decrypt(sealed));
  sealed[sealed.length - 1] ^= 1;
  await assert.rejects(() => secrets.decrypt(sealed), "tampering is detected");
});

Deno.test("production without WEBHOOK_SECRET_KEY keeps no secrets: webhooks answer 503", async () => {
  const off = await createWebhookSecrets({ APP_ENV: "production" });
  assert.throws(() => off.generate(), (error) => isAppError(error, "SERVICE_UNAVAILABLE"));
  await assert.rejects(
    () => off.encrypt("whsec_x"),
    (error) => isAppError(error, "SERVICE_UNAVAILABLE"),
  );
  await assert.rejects(
    () =>
      createWebhookSecrets({
        APP_ENV: "production",
        WEBHOOK_SECRET_KEY: DEVELOPMENT_WEBHOOK_SECRET_KEY,
      }),
    ConfigError,
  );
  await createWebhookSecrets({ APP_ENV: "production", WEBHOOK_SECRET_KEY: "p".repeat(40) });
});
