/** The business domains of the contract, seeded by migration 0001 (ADR 0004). */
export const BUSINESS_DOMAINS = [
  "GENERAL_WAREHOUSING",
  "COLD_CHAIN",
  "BONDED_WAREHOUSING",
  "CROSS_BORDER",
] as const;

export type BusinessDomainCode = typeof BUSINESS_DOMAINS[number];

/** True when the value is one of the contract's business domain codes. */
export function isBusinessDomain(value: unknown): value is BusinessDomainCode {
  return typeof value === "string" && (BUSINESS_DOMAINS as readonly string[]).includes(value);
}
