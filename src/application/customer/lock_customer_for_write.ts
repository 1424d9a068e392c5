import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { ensureVersion } from "../../domain/shared/version.ts";
import {
  lockCustomer,
  type LockedCustomer,
} from "../../infrastructure/postgres/customer_repository.ts";
import type { Queryable } from "../../infrastructure/postgres/database.ts";
import { customerNotFound } from "./get_customer.ts";

/**
 * Locks a customer row for a write in `tx`: 404 CUSTOMER_NOT_FOUND when it is missing or in a
 * domain the user lacks, 412 VERSION_CONFLICT when `ifMatch` names another version.
 */
export async function lockCustomerForWrite(
  tx: Queryable,
  command: { user: CurrentUser; id: number; ifMatch?: number },
): Promise<LockedCustomer> {
  // Only rows the user may see are locked: a user of another domain cannot hold them (ADR 0093).
  const domains = BusinessDomainGuard.visibleDomains(command.user);
  const current = await lockCustomer(tx, command.id, domains);
  if (!current) throw customerNotFound(command.id);
  BusinessDomainGuard.ensureVisible(
    command.user,
    current.businessDomain,
    () => customerNotFound(command.id),
  );
  ensureVersion(command.ifMatch, current.version);
  return current;
}
