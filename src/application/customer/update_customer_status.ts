import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { Customer, type CustomerDetailView } from "../../domain/customer/customer.ts";
import type { CustomerStatus } from "../../domain/customer/customer_status.ts";
import { type Cache, cacheKeys } from "../../infrastructure/cache/cache.ts";
import {
  findCustomerDetail,
  listGroupIdsOfCustomer,
  updateCustomerRow,
} from "../../infrastructure/postgres/customer_repository.ts";
import { appendDomainEvent } from "../../infrastructure/postgres/domain_event_repository.ts";
import { logger } from "../../shared/logger.ts";
import { bindLogFields } from "../../shared/request_context.ts";
import { lockCustomerForWrite } from "./lock_customer_for_write.ts";

/** Moves a customer through the status machine (409 INVALID_STATUS_TRANSITION otherwise). */
export async function updateCustomerStatus(
  deps: { db: Database; cache: Cache },
  command: {
    user: CurrentUser;
    id: number;
    ifMatch?: number;
    status: CustomerStatus;
    reason?: string;
  },
): Promise<CustomerDetailView> {
  const { user, id } = command;
  BusinessDomainGuard.requireAny(user);
  bindLogFields({ customerId: id });
  const result = await deps.db.sql.begin(async (tx) => {
    const current = await lockCustomerForWrite(tx, command);
    const to = Customer.changeStatus(current.status, command.status);
    const operator = { uid: user.dingUserId, name: user.name };
    const version = await updateCustomerRow(tx, id, { status: to }, operator);
    await appendDomainEvent(tx, {
      aggregateType: "Customer",
      aggregateId: id,
      eventType: "CustomerStatusChanged",
      payload: {
        customerId: id,
        version,
        from: current.status,
        to,
        reason: command.reason ?? null,
        changes: { status: { old: current.status, new: to } },
      },
      operator,
    });
    return {
      detail: (await findCustomerDetail(tx, id))!,
      groupIds: await listGroupIdsOfCustomer(tx, id),
      from: current.status,
    };
  });
  // Group details list their members' status.
  await deps.cache.invalidate(
    cacheKeys.customer(id),
    ...result.groupIds.map(cacheKeys.customerGroup),
  );
  logger.info("customer status changed", {
    customerId: id,
    from: result.from,
    to: command.status,
  });
  return result.detail;
}
