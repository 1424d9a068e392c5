import { AppError } from "../../shared/errors.ts";
import type { CurrentUser } from "../auth/current_user.ts";
import type { CustomerStatus } from "./customer_status.ts";
import {
  type CustomerGroup,
  describeIds,
  ensureWithinMemberLimit,
} from "../group/customer_group.ts";

/** What the member rules need to know of a customer. */
export interface MemberCandidate {
  id: number;
  businessDomain: string;
  status: CustomerStatus;
}

/** Why a customer cannot be assigned to a group, or undefined when it can. */
export type AssignmentRefusal = "DOMAIN_MISMATCH" | "TERMINATED";

/**
 * Customer.assignToGroup(): a customer may join a group of its own business domain only, and
 * never once TERMINATED.
 */
export function assignToGroup(
  customer: Pick<MemberCandidate, "businessDomain" | "status">,
  group: Pick<CustomerGroup, "businessDomain">,
): AssignmentRefusal | undefined {
  if (customer.businessDomain !== group.businessDomain) return "DOMAIN_MISMATCH";
  if (customer.status === "TERMINATED") return "TERMINATED";
  return undefined;
}

/**
 * Checks a whole replacement in the contract's order: every id exists and is visible to the user
 * (422 INVALID_MEMBER), is in the group's domain (422 DOMAIN_MISMATCH), is not TERMINATED
 * (422 INVALID_MEMBER), and there are at most maxMember ids (422 GROUP_MEMBER_LIMIT_EXCEEDED).
 * Each problem lists every offending id, ascending, in an extension member and in its detail.
 */
export function ensureAssignable(
  group: Pick<CustomerGroup, "id" | "businessDomain" | "maxMember">,
  requestedIds: readonly number[],
  found: readonly MemberCandidate[],
  user: Pick<CurrentUser, "domainCodes">,
): void {
  const visible = new Map(
    found.filter((customer) => user.domainCodes.includes(customer.businessDomain))
      .map((customer) => [customer.id, customer]),
  );
  const ascending = (a: number, b: number) => a - b;
  // A customer of a domain the user lacks is reported exactly like a missing one: ids of other
  // domains cannot be probed (contract section 4).
  const unknownIds = requestedIds.filter((id) => !visible.has(id)).sort(ascending);
  if (unknownIds.length > 0) {
    throw new AppError(
      "INVALID_MEMBER",
      `customers not found: ${describeIds(unknownIds)}`,
      { extensions: { invalidIds: unknownIds, reason: "NOT_FOUND" } },
    );
  }
  const candidates = requestedIds.map((id) => visible.get(id)!);
  const refused = (reason: AssignmentRefusal) =>
    candidates.filter((customer) => assignToGroup(customer, group) === reason)
      .map((customer) => customer.id).sort(ascending);
  const mismatched = refused("DOMAIN_MISMATCH");
  if (mismatched.length > 0) {
    throw new AppError(
      "DOMAIN_MISMATCH",
      `customers not in the group's business domain ${group.businessDomain}: ${
        describeIds(mismatched)
      }`,
      { extensions: { mismatchedIds: mismatched, businessDomain: group.businessDomain } },
    );
  }
  const terminated = refused("TERMINATED");
  if (terminated.length > 0) {
    throw new AppError(
      "INVALID_MEMBER",
      `customers are TERMINATED: ${describeIds(terminated)}`,
      { extensions: { invalidIds: terminated, reason: "TERMINATED" } },
    );
  }
  ensureWithinMemberLimit(group, requestedIds.length);
}
