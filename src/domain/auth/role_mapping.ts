import type { UserClaims } from "./current_user.ts";

/** What a mapping rule matches on: a DingTalk role name, a position (title) or a department id. */
export type MatchType = "ROLE" | "POSITION" | "DEPARTMENT";

/** One role-to-domain rule; `domainCode` `*` grants every domain. */
export interface RoleDomainRule {
  matchType: MatchType;
  matchValue: string;
  domainCode: string;
}

export const ALL_DOMAINS = "*";

/** The built-in dictionary (contract section 4), joined with the `role_domain_mapping` rows. */
export const BUILTIN_RULES: readonly RoleDomainRule[] = [
  { matchType: "ROLE", matchValue: "ROLE_ADMIN", domainCode: ALL_DOMAINS },
  { matchType: "ROLE", matchValue: "ROLE_STD_AGENT", domainCode: "GENERAL_WAREHOUSING" },
  { matchType: "ROLE", matchValue: "ROLE_COLD_AGENT", domainCode: "COLD_CHAIN" },
  { matchType: "ROLE", matchValue: "ROLE_BONDED_AGENT", domainCode: "BONDED_WAREHOUSING" },
];

/** The domains a user gets and the rules that granted them (for the debug log). */
export interface DomainResolution {
  domainCodes: string[];
  matches: RoleDomainRule[];
}

/**
 * Resolves a user's domains: every rule whose value equals one of the user's roles, positions or
 * departments grants its domain; `*` grants every enabled domain; disabled or unknown domains are
 * never granted. The answer is sorted so it is stable for caching and display.
 */
export function resolveDomains(
  user: Pick<UserClaims, "roles" | "positions" | "departments">,
  rules: readonly RoleDomainRule[],
  enabledDomains: readonly string[],
): DomainResolution {
  const held: Record<MatchType, Set<string>> = {
    ROLE: new Set(user.roles),
    POSITION: new Set(user.positions),
    DEPARTMENT: new Set(user.departments),
  };
  const matches = rules.filter((rule) => held[rule.matchType].has(rule.matchValue));
  const enabled = new Set(enabledDomains);
  const granted = new Set<string>();
  for (const rule of matches) {
    if (rule.domainCode === ALL_DOMAINS) enabledDomains.forEach((code) => granted.add(code));
    else if (enabled.has(rule.domainCode)) granted.add(rule.domainCode);
  }
  return { domainCodes: [...granted].sort(), matches };
}
