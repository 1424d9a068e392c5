import { AppError } from "../../shared/errors.ts";
import type { CurrentUser } from "./current_user.ts";

/**
 * BusinessDomainGuard: every use case calls it before its domain logic. A user mapped to no
 * domain is forbidden everywhere; a named domain the user lacks is forbidden; a record in a
 * domain the user lacks is reported as not found so ids of other domains cannot be probed.
 */
export const BusinessDomainGuard = {
  /** 403 FORBIDDEN when the user maps to no business domain. */
  requireAny(user: CurrentUser): void {
    if (user.domainCodes.length === 0) {
      throw new AppError(
        "FORBIDDEN",
        `user ${user.dingUserId} is mapped to no business domain`,
      );
    }
  },

  /** 403 FORBIDDEN unless the user holds the named domain. */
  requireDomain(user: CurrentUser, domainCode: string): void {
    BusinessDomainGuard.requireAny(user);
    if (!user.domainCodes.includes(domainCode)) {
      throw new AppError(
        "FORBIDDEN",
        `business domain ${domainCode} is not granted to user ${user.dingUserId}`,
      );
    }
  },

  /** The domains a list is restricted to (never empty: 403 when the user has none). */
  visibleDomains(user: CurrentUser): string[] {
    BusinessDomainGuard.requireAny(user);
    return user.domainCodes;
  },

  /** The domains a list filter may use: the requested one (403 if not held) or all visible. */
  filterDomains(user: CurrentUser, requested?: string): string[] {
    if (requested === undefined) return BusinessDomainGuard.visibleDomains(user);
    BusinessDomainGuard.requireDomain(user, requested);
    return [requested];
  },

  /** True when a record of the domain is visible to the user. */
  canSee(user: CurrentUser, domainCode: string): boolean {
    return user.domainCodes.includes(domainCode);
  },

  /**
   * Throws the given not-found error when a record's domain is not visible to the user; a user
   * with no domain at all gets 403 as on every other data route.
   */
  ensureVisible(user: CurrentUser, domainCode: string, notFound: () => AppError): void {
    BusinessDomainGuard.requireAny(user);
    if (!BusinessDomainGuard.canSee(user, domainCode)) throw notFound();
  },
};
