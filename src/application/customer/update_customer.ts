import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { Customer, type CustomerDetailView } from "../../domain/customer/customer.ts";
import { type Cache, cacheKeys } from "../../infrastructure/cache/cache.ts";
import {
  type CustomerChanges,
  findCustomerDetail,
  listGroupIdsOfCustomer,
  updateCustomerRow,
} from "../../infrastructure/postgres/customer_repository.ts";
import { removeFromGroupsOfDomain } from "../../infrastructure/postgres/customer_group_repository.ts";
import { appendDomainEvent } from "../../infrastructure/postgres/domain_event_repository.ts";
import { logger } from "../../shared/logger.ts";
import { bindLogFields } from "../../shared/request_context.ts";
import { lockCustomerForWrite } from "./lock_customer_for_write.ts";

/** Fields PATCH /customers/{id} may change (null clears an optional one). */
export interface UpdateCustomerInput {
  customerName?: string;
  contactName?: string | null;
  contactPhone?: string | null;
  remark?: string | null;
  businessDomain?: string;
}

/**
 * Updates a customer under its row lock and If-Match version. Moving it to another business
 * domain needs both domains and removes it from the groups of the old one (their version grows).
 */
export async function updateCustomer(
  deps: { db: Database; cache: Cache },
  command: { user: CurrentUser; id: number; ifMatch?: number; changes: UpdateCustomerInput },
): Promise<CustomerDetailView> {
  const { user, id, changes } = command;
  BusinessDomainGuard.requireAny(user);
  if (changes.businessDomain !== undefined) {
    BusinessDomainGuard.requireDomain(user, changes.businessDomain);
  }
  bindLogFields({ customerId: id });
  const result = await deps.db.sql.begin(async (tx) => {
    const current = await lockCustomerForWrite(tx, command);
    const groupIds = await listGroupIdsOfCustomer(tx, id);
    let removedFromGroups: number[] = [];
    const operator = { uid: user.dingUserId, name: user.name };
    if (
      changes.businessDomain !== undefined &&
      Customer.changeDomain(user, current.businessDomain, changes.businessDomain)
    ) {
      removedFromGroups = await removeFromGroupsOfDomain(tx, id, current.businessDomain, operator);
    }
    const diff: Record<string, { old: unknown; new: unknown }> = {};
    for (const [field, to] of Object.entries(changes)) {
      if (to === undefined) continue;
      const from = current[field as keyof typeof current];
      if (from !== to) diff[field] = { old: from, new: to };
    }
    const version = await updateCustomerRow(tx, id, changes as CustomerChanges, operator);
    await appendDomainEvent(tx, {
      aggregateType: "Customer",
      aggregateId: id,
      eventType: "CustomerUpdated",
      payload: { customerId: id, version, changes: diff, removedFromGroups },
      operator,
    });
    return { detail: (await findCustomerDetail(tx, id))!, groupIds, removedFromGroups };
  });
  await deps.cache.invalidate(
    cacheKeys.customer(id),
    ...result.groupIds.map(cacheKeys.customerGroup),
  );
  logger.info("customer updated", {
    customerId: id,
    companyId: result.detail.company.id,
    fields: Object.keys(changes),
    removedFromGroups: result.removedFromGroups,
  });
  return result.detail;
}
