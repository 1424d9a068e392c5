import type { Dependencies } from "../../dependencies.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { CustomerDetailView } from "../../domain/customer/customer.ts";
import { cacheKeys } from "../../infrastructure/cache/cache.ts";
import { findCustomerDetail } from "../../infrastructure/postgres/customer_repository.ts";
import { AppError } from "../../shared/errors.ts";
import { bindLogFields } from "../../shared/request_context.ts";

/** 404 CUSTOMER_NOT_FOUND for an id that does not exist or is in a domain the user lacks. */
export function customerNotFound(id: number): AppError {
  return new AppError("CUSTOMER_NOT_FOUND", `customer ${id} does not exist`);
}

/**
 * The customer detail (full company, groups), cache-aside under `customer:{id}`. The cached
 * entry is shared by all users, so visibility is checked after the read, never cached.
 */
export async function getCustomer(
  deps: Pick<Dependencies, "db" | "cache">,
  command: { user: CurrentUser; id: number },
): Promise<CustomerDetailView> {
  BusinessDomainGuard.requireAny(command.user);
  bindLogFields({ customerId: command.id });
  const key = cacheKeys.customer(command.id);
  let detail = await deps.cache.getJson<CustomerDetailView>(key);
  if (!detail) {
    // The writer pool, not a replica: a lagging replica would put a stale detail in the cache.
    detail = await findCustomerDetail(deps.db.sql, command.id);
    if (!detail) throw customerNotFound(command.id);
    await deps.cache.setJson(key, detail);
  }
  // Details cached before merges existed lack the field; the contract says null, not absent.
  detail.mergedIntoId ??= null;
  BusinessDomainGuard.ensureVisible(
    command.user,
    detail.businessDomain,
    () => customerNotFound(command.id),
  );
  return detail;
}
