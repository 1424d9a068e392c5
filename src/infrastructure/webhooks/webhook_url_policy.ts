import {
  isLocalHostName,
  isPublicAddress,
  parseIpAddress,
} from "../../domain/webhook/address_policy.ts";

/** Why a webhook URL may not be called, or undefined when it may. */
export type UrlRefusal = string | undefined;

/** Checks webhook URLs at registration and again, against fresh DNS answers, at delivery. */
export interface WebhookUrlPolicy {
  /** Registration: scheme, credentials, literal and resolvable addresses. */
  checkRegistration(url: string): Promise<UrlRefusal>;
  /** Delivery: the host's current DNS answers must all be allowed (DNS rebinding). */
  checkDelivery(url: string): Promise<UrlRefusal>;
}

type Resolve = (host: string, type: "A" | "AAAA") => Promise<string[]>;

const DNS_TIMEOUT_MS = 2_000;

function resolveWithDeno(host: string, type: "A" | "AAAA"): Promise<string[]> {
  return Deno.resolveDns(host, type, { signal: AbortSignal.timeout(DNS_TIMEOUT_MS) });
}

/** Creates the policy: https only in production, non-public addresses only when allowed. */
export function createWebhookUrlPolicy(
  config: { APP_ENV: string; WEBHOOK_ALLOW_PRIVATE: boolean },
  resolve: Resolve = resolveWithDeno,
): WebhookUrlPolicy {
  const allowPrivate = config.WEBHOOK_ALLOW_PRIVATE;

  const addressesOf = async (host: string): Promise<string[] | undefined> => {
    const answers = await Promise.allSettled([resolve(host, "A"), resolve(host, "AAAA")]);
    const addresses = answers.flatMap((answer) =>
      answer.status === "fulfilled" ? answer.value : []
    );
    return addresses.length > 0 ? addresses : undefined;
  };

  const checkHost = async (host: string, mustResolve: boolean): Promise<UrlRefusal> => {
    if (allowPrivate) return undefined;
    if (isLocalHostName(host)) return `${host} is a loopback host name`;
    if (parseIpAddress(host)) {
      return isPublicAddress(host) ? undefined : `${host} is not a public address`;
    }
    const addresses = await addressesOf(host);
    if (!addresses) return mustResolve ? `${host} does not resolve` : undefined;
    const refused = addresses.find((address) => !isPublicAddress(address));
    return refused ? `${host} resolves to ${refused}, which is not a public address` : undefined;
  };

  const parse = (url: string): URL | UrlRefusal => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return "not an absolute URL";
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      return "must be an http(s) URL";
    }
    if (config.APP_ENV === "production" && parsed.protocol !== "https:") {
      return "must be an https URL in production";
    }
    if (parsed.username || parsed.password) return "must not contain credentials";
    return parsed;
  };

  return {
    async checkRegistration(url) {
      const parsed = parse(url);
      if (typeof parsed === "string") return parsed;
      // A name that does not resolve yet is accepted: the delivery-time check decides then.
      return await checkHost(parsed!.hostname, false);
    },
    async checkDelivery(url) {
      const parsed = parse(url);
      if (typeof parsed === "string") return parsed;
      return await checkHost(parsed!.hostname, true);
    },
  };
}
