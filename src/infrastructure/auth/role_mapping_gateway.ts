import type { RoleMappingGateway } from "../../domain/auth/auth_ports.ts";
import {
  BUILTIN_RULES,
  resolveDomains,
  type RoleDomainRule,
} from "../../domain/auth/role_mapping.ts";
import { logger } from "../../shared/logger.ts";
import type { Sql } from "../postgres/database.ts";
import {
  listEnabledDomainCodes,
  listRoleDomainRules,
} from "../postgres/role_mapping_repository.ts";

interface Snapshot {
  rules: RoleDomainRule[];
  enabledDomains: string[];
  loadedAt: number;
  /** Users whose mapping was logged at info while this snapshot is current. */
  loggedUsers: Set<string>;
}

/** Bounds the memory of loggedUsers in a long cache period with very many users. */
const MAX_LOGGED_USERS = 10_000;

/**
 * Creates the gateway: the built-in dictionary joined with the `role_domain_mapping` rows, which
 * are cached in process for `cacheSeconds` so a changed row takes effect without a restart.
 */
export function createRoleMappingGateway(
  sql: Sql,
  options: { cacheSeconds: number; now?: () => number },
): RoleMappingGateway {
  const now = options.now ?? Date.now;
  let snapshot: Snapshot | undefined;
  let loading: Promise<Snapshot> | undefined;

  const load = async (): Promise<Snapshot> => {
    const [rows, enabledDomains] = await Promise.all([
      listRoleDomainRules(sql),
      listEnabledDomainCodes(sql),
    ]);
    return {
      rules: [...BUILTIN_RULES, ...rows],
      enabledDomains,
      loadedAt: now(),
      loggedUsers: new Set(),
    };
  };

  const current = async (): Promise<Snapshot> => {
    if (snapshot && now() - snapshot.loadedAt < options.cacheSeconds * 1000) return snapshot;
    // One load at a time: concurrent requests after expiry share it.
    loading ??= load().finally(() => (loading = undefined));
    snapshot = await loading;
    return snapshot;
  };

  return {
    async currentUser(claims) {
      const { rules, enabledDomains, loggedUsers } = await current();
      const { domainCodes, matches } = resolveDomains(claims, rules, enabledDomains);
      const chain = matches.map((rule) =>
        `${rule.matchType}:${rule.matchValue}->${rule.domainCode}`
      );
      // Once per user per cache period at info (the seed asks for the chain in the log); the
      // claims that fed it stay at debug. Never the union id.
      if (!loggedUsers.has(claims.dingUserId)) {
        if (loggedUsers.size >= MAX_LOGGED_USERS) loggedUsers.clear();
        loggedUsers.add(claims.dingUserId);
        logger.info("role mapping applied", {
          user_id: claims.dingUserId,
          matches: chain,
          domainCodes,
        });
      }
      logger.debug("role mapping resolved", {
        roles: claims.roles,
        positions: claims.positions,
        departments: claims.departments,
        matches: chain,
        domainCodes,
      });
      return { ...claims, domainCodes };
    },
  };
}
