import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { CustomerDetailView } from "../../domain/customer/customer.ts";
import { CustomerMerge } from "../../domain/customer/customer_merge.ts";
import { ensureVersion } from "../../domain/shared/version.ts";
import { type Cache, cacheKeys } from "../../infrastructure/cache/cache.ts";
import {
  markCustomerMerged,
  moveGroupMemberships,
  repointSyncRecords,
} from "../../infrastructure/postgres/customer_merge_repository.ts";
import {
  findCustomerDetail,
  lockCustomer,
  type LockedCustomer,
  updateCustomerRow,
} from "../../infrastructure/postgres/customer_repository.ts";
import type { Database, Queryable } from "../../infrastructure/postgres/database.ts";
import { appendDomainEvent } from "../../infrastructure/postgres/domain_event_repository.ts";
import { logger } from "../../shared/logger.ts";
import { bindLogFields } from "../../shared/request_context.ts";
import { customerNotFound } from "./get_customer.ts";

/**
 * Locks both customers in ascending id order, so two merges of the same pair (even crossing,
 * A into B and B into A) queue behind each other instead of deadlocking; 404 for one that does
 * not exist or is in a domain the user lacks.
 */
async function lockBoth(
  tx: Queryable,
  user: CurrentUser,
  ids: number[],
): Promise<Map<number, LockedCustomer>> {
  const locked = new Map<number, LockedCustomer>();
  // Only rows the user may see are locked (ADR 0093): another domain's row is simply not found.
  const domains = BusinessDomainGuard.visibleDomains(user);
  for (const id of [...ids].sort((a, b) => a - b)) {
    const customer = await lockCustomer(tx, id, domains);
    if (!customer) throw customerNotFound(id);
    locked.set(id, customer);
  }
  return locked;
}

/**
 * Merges a duplicate customer (the source) into the one kept (the target), contract §10.6, in one
 * transaction: memberships move to the target (a group listing both keeps one), sync records
 * point at the target, the source becomes TERMINATED with mergedIntoId, both versions grow, and
 * one CustomerMerged event is written. Answers the target's detail.
 */
export async function mergeCustomers(
  deps: { db: Database; cache: Cache },
  command: { user: CurrentUser; targetId: number; sourceId: number; ifMatch?: number },
): Promise<CustomerDetailView> {
  const { user, targetId, sourceId } = command;
  BusinessDomainGuard.requireAny(user);
  bindLogFields({ customerId: targetId });
  CustomerMerge.requireDistinct(targetId, sourceId);
  const operator = { uid: user.dingUserId, name: user.name };
  const result = await deps.db.sql.begin(async (tx) => {
    const locked = await lockBoth(tx, user, [targetId, sourceId]);
    const target = locked.get(targetId)!;
    const source = locked.get(sourceId)!;
    ensureVersion(command.ifMatch, target.version);
    CustomerMerge.check(target, source);
    const movedGroupIds = await moveGroupMemberships(tx, { sourceId, targetId, operator });
    const movedSyncRecords = await repointSyncRecords(tx, { sourceId, targetId });
    await markCustomerMerged(tx, { sourceId, targetId, operator });
    await updateCustomerRow(tx, targetId, {}, operator);
    await appendDomainEvent(tx, {
      aggregateType: "Customer",
      aggregateId: targetId,
      eventType: "CustomerMerged",
      payload: { sourceCustomerId: sourceId, targetCustomerId: targetId, movedGroupIds },
    });
    return {
      detail: (await findCustomerDetail(tx, targetId))!,
      movedGroupIds,
      movedSyncRecords,
    };
  });
  // Both details changed (status, groups, version) and so did the member lists of the groups.
  await deps.cache.invalidate(
    cacheKeys.customer(targetId),
    cacheKeys.customer(sourceId),
    ...result.movedGroupIds.map(cacheKeys.customerGroup),
  );
  logger.info("customers merged", {
    customerId: targetId,
    sourceCustomerId: sourceId,
    movedGroupIds: result.movedGroupIds,
    movedSyncRecords: result.movedSyncRecords,
  });
  return result.detail;
}
