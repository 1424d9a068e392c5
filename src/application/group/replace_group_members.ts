import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { ensureAssignable } from "../../domain/customer/assign_to_group.ts";
import { type CustomerGroup, ensureUniqueMemberIds } from "../../domain/group/customer_group.ts";
import { ensureVersion } from "../../domain/shared/version.ts";
import { type Cache, cacheKeys } from "../../infrastructure/cache/cache.ts";
import {
  lockCustomerGroup,
  lockMemberCandidates,
  replaceMembers,
  touchCustomerGroup,
} from "../../infrastructure/postgres/customer_group_repository.ts";
import { appendDomainEvent } from "../../infrastructure/postgres/domain_event_repository.ts";
import { logger } from "../../shared/logger.ts";
import { bindLogFields } from "../../shared/request_context.ts";
import { groupNotFound } from "./get_customer_group.ts";

/** Input of replaceGroupMembers; `ifMatch` comes from If-Match. */
export interface ReplaceGroupMembersCommand {
  user: CurrentUser;
  id: number;
  customerIds: number[];
  ifMatch?: number;
}

/**
 * Replaces all members of a group in one transaction with the group row locked, so concurrent
 * replacements run one after the other and the result is always exactly one requested set.
 */
export async function replaceGroupMembers(
  deps: { db: Database; cache: Cache },
  { user, id, customerIds, ifMatch }: ReplaceGroupMembersCommand,
): Promise<CustomerGroup> {
  const domains = BusinessDomainGuard.visibleDomains(user);
  bindLogFields({ groupId: id });
  ensureUniqueMemberIds(customerIds);
  const operator = { uid: user.dingUserId, name: user.name };
  const { group, added, removed } = await deps.db.sql.begin(async (tx) => {
    // Customers before the group: the same lock order as a customer update that removes the
    // customer from groups (customer row, then group rows), so the two cannot deadlock.
    const candidates = await lockMemberCandidates(tx, customerIds, domains);
    const locked = await lockCustomerGroup(tx, id, domains);
    if (!locked) throw groupNotFound(id);
    BusinessDomainGuard.ensureVisible(user, locked.businessDomain, () => groupNotFound(id));
    ensureVersion(ifMatch, locked.version);
    ensureAssignable(locked, customerIds, candidates, user);
    const change = await replaceMembers(tx, id, customerIds, operator);
    const group = await touchCustomerGroup(tx, id, operator);
    await appendDomainEvent(tx, {
      aggregateType: "CustomerGroup",
      aggregateId: id,
      eventType: "CustomerGroupMembersReplaced",
      payload: {
        groupId: id,
        businessDomain: group.businessDomain,
        addedCustomerIds: change.added,
        removedCustomerIds: change.removed,
        memberCount: group.memberCount,
        version: group.version,
        operationUid: operator.uid,
      },
      operator,
    });
    return { group, ...change };
  });
  // Customer details list their groups, so every customer that joined or left is stale too.
  await deps.cache.invalidate(
    cacheKeys.customerGroup(id),
    ...[...added, ...removed].map((customerId) => cacheKeys.customer(customerId)),
  );
  logger.info("customer group members replaced", {
    groupId: id,
    added: added.length,
    removed: removed.length,
    memberCount: group.memberCount,
    version: group.version,
  });
  return group;
}
