import { ConfigError } from "../../config.ts";
import { AppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";

/** Makes, encrypts and decrypts webhook signing secrets (Standard Webhooks `whsec_` format). */
export interface WebhookSecrets {
  /** A new secret: `whsec_` + base64 of 32 random bytes. */
  generate(): string;
  /** AES-GCM ciphertext (IV first) of a secret, for the `webhook` row. */
  encrypt(secret: string): Promise<Uint8Array<ArrayBuffer>>;
  decrypt(ciphertext: Uint8Array<ArrayBuffer>): Promise<string>;
}

/**
 * Used only outside production when WEBHOOK_SECRET_KEY is unset: stable across restarts so a
 * development database's webhooks keep signing. Production without the key has no webhooks.
 */
export const DEVELOPMENT_WEBHOOK_SECRET_KEY = "development-only-webhook-secret-key-do-not-use";

const SECRET_PREFIX = "whsec_";
const IV_BYTES = 12;

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** Webhooks without a key to keep their secrets: every use answers 503. */
function webhooksOff(): WebhookSecrets {
  const off = () =>
    Promise.reject(
      new AppError("SERVICE_UNAVAILABLE", "webhooks are not configured (WEBHOOK_SECRET_KEY)"),
    );
  return {
    generate: () => {
      throw new AppError("SERVICE_UNAVAILABLE", "webhooks are not configured (WEBHOOK_SECRET_KEY)");
    },
    encrypt: off,
    decrypt: off,
  };
}

/** The HMAC key bytes of a `whsec_` secret (Standard Webhooks: the base64 after the prefix). */
export function secretKeyBytes(secret: string): Uint8Array<ArrayBuffer> {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0));
}

/**
 * The AES-256-GCM cipher of webhook secrets. The key is the SHA-256 of WEBHOOK_SECRET_KEY (a
 * high-entropy string of at least 32 characters), so any such string works as the variable.
 */
export async function createWebhookSecrets(
  config: { WEBHOOK_SECRET_KEY?: string; APP_ENV: string },
): Promise<WebhookSecrets> {
  if (config.APP_ENV === "production" && !config.WEBHOOK_SECRET_KEY) {
    // The start is not refused (contract §10.3 names what refuses it): webhooks are off instead,
    // and no secret is ever stored under a key that ships with the code.
    logger.warn("WEBHOOK_SECRET_KEY is unset: webhook registration answers 503");
    return webhooksOff();
  }
  const material = config.WEBHOOK_SECRET_KEY ?? DEVELOPMENT_WEBHOOK_SECRET_KEY;
  if (config.APP_ENV === "production" && material === DEVELOPMENT_WEBHOOK_SECRET_KEY) {
    throw new ConfigError("WEBHOOK_SECRET_KEY must be set to a secret of your own in production");
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(material));
  const key = await crypto.subtle.importKey("raw", digest, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return {
    generate() {
      return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
    },
    async encrypt(secret) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(secret)),
      );
      const out = new Uint8Array(IV_BYTES + sealed.length);
      out.set(iv);
      out.set(sealed, IV_BYTES);
      return out;
    },
    async decrypt(ciphertext) {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: ciphertext.subarray(0, IV_BYTES) },
        key,
        ciphertext.subarray(IV_BYTES),
      );
      return new TextDecoder().decode(plain);
    },
  };
}

/**
 * The Standard Webhooks signature header value: `v1,` + base64 HMAC-SHA256 of
 * `{id}.{timestamp}.{body}` keyed with the secret's decoded bytes.
 */
export async function signWebhook(
  secret: string,
  message: { id: string; timestamp: number; body: string },
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    secretKeyBytes(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signed = new TextEncoder().encode(`${message.id}.${message.timestamp}.${message.body}`);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, signed));
  return `v1,${toBase64(signature)}`;
}
