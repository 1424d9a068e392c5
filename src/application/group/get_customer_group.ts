import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { CustomerGroupDetail } from "../../domain/group/customer_group.ts";
import { type Cache, type CachedView, cacheKeys } from "../../infrastructure/cache/cache.ts";
import {
  findCustomerGroup,
  listGroupMembers,
} from "../../infrastructure/postgres/customer_group_repository.ts";
import { AppError } from "../../shared/errors.ts";
import { bindLogFields } from "../../shared/request_context.ts";

/** 404 GROUP_NOT_FOUND for a missing group or one of a domain the user lacks. */
export function groupNotFound(id: number): AppError {
  return new AppError("GROUP_NOT_FOUND", `customer group ${id} not found`);
}

/**
 * The group with all its members (at most maxMember, <= 10 000) as served, cache-aside under
 * `customer-group:{id}`. Visibility is checked after the cache read, on every request.
 */
export async function getCustomerGroup(
  deps: { db: Database; cache: Cache },
  { user, id }: { user: CurrentUser; id: number },
): Promise<CachedView> {
  BusinessDomainGuard.requireAny(user);
  bindLogFields({ groupId: id });
  const key = cacheKeys.customerGroup(id);
  let view = await deps.cache.getView(key);
  if (!view) {
    const mark = deps.cache.mark();
    // The writer pool: a detail read right after a write must show it (and is what gets cached).
    const group = await findCustomerGroup(deps.db.sql, id);
    if (!group) throw groupNotFound(id);
    const members = await listGroupMembers(deps.db.sql, id);
    const detail: CustomerGroupDetail = { ...group, memberCount: members.length, members };
    view = deps.cache.putView(key, detail, mark);
  }
  BusinessDomainGuard.ensureVisible(user, view.businessDomain, () => groupNotFound(id));
  return view;
}
