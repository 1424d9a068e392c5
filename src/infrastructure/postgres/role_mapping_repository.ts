import type { MatchType, RoleDomainRule } from "../../domain/auth/role_mapping.ts";
import type { Queryable } from "./database.ts";

/** All `role_domain_mapping` rows as rules. */
export async function listRoleDomainRules(sql: Queryable): Promise<RoleDomainRule[]> {
  const rows = await sql<{ match_type: MatchType; match_value: string; domain_code: string }[]>`
    select match_type, match_value, domain_code from role_domain_mapping`;
  return rows.map((row) => ({
    matchType: row.match_type,
    matchValue: row.match_value,
    domainCode: row.domain_code,
  }));
}

/** Codes of the ENABLED business domains. */
export async function listEnabledDomainCodes(sql: Queryable): Promise<string[]> {
  const rows = await sql<{ code: string }[]>`
    select code from business_domain where status = 'ENABLED' order by code`;
  return rows.map((row) => row.code);
}
