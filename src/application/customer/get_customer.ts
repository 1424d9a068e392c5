import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { type Cache, type CachedView, cacheKeys } from "../../infrastructure/cache/cache.ts";
import { findCustomerDetail } from "../../infrastructure/postgres/customer_repository.ts";
import { AppError } from "../../shared/errors.ts";
import { bindLogFields } from "../../shared/request_context.ts";

/** 404 CUSTOMER_NOT_FOUND for an id that does not exist or is in a domain the user lacks. */
export function customerNotFound(id: number): AppError {
  return new AppError("CUSTOMER_NOT_FOUND", `customer ${id} does not exist`);
}

/**
 * The customer detail (full company, groups) as served: cache-aside under `customer:{id}`, its
 * JSON bytes kept as stored. The cached entry is shared by all users, so visibility is checked
 * after the read, on every request, from the domain kept beside the bytes.
 */
export async function getCustomer(
  deps: { db: Database; cache: Cache },
  command: { user: CurrentUser; id: number },
): Promise<CachedView> {
  BusinessDomainGuard.requireAny(command.user);
  bindLogFields({ customerId: command.id });
  const key = cacheKeys.customer(command.id);
  let view = await deps.cache.getView(key);
  if (!view) {
    const mark = deps.cache.mark();
    // The writer pool, not a replica: a lagging replica would put a stale detail in the cache.
    const detail = await findCustomerDetail(deps.db.sql, command.id);
    if (!detail) throw customerNotFound(command.id);
    view = deps.cache.putView(key, detail, mark);
  }
  BusinessDomainGuard.ensureVisible(
    command.user,
    view.businessDomain,
    () => customerNotFound(command.id),
  );
  return view;
}
