import { AppError } from "../../shared/errors.ts";

/** Bounds of a group (contract section 3; the schema checks them too). */
export const GROUP_LIMITS = {
  groupNameMax: 100,
  descriptionMax: 500,
  maxMemberMin: 1,
  maxMemberMax: 10_000,
  defaultMaxMember: 200,
} as const;

/** A customer group of one business domain, as the API shows it. */
export interface CustomerGroup {
  id: number;
  groupName: string;
  businessDomain: string;
  maxMember: number;
  description: string | null;
  memberCount: number;
  operationUid: string;
  operationName: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** One member as the group detail lists it. */
export interface GroupMember {
  customerId: number;
  customerCode: string;
  customerName: string;
  status: string;
}

/** The group detail: the group and all its members (at most maxMember <= 10 000). */
export interface CustomerGroupDetail extends CustomerGroup {
  members: GroupMember[];
}

/** What a new group needs; maxMember defaults to 200. */
export interface NewCustomerGroup {
  groupName: string;
  businessDomain: string;
  maxMember: number;
  description: string | null;
}

/** Builds a new group, applying the default and checking the bounds (the schema checks too). */
export function newCustomerGroup(input: {
  groupName: string;
  businessDomain: string;
  maxMember?: number;
  description?: string | null;
}): NewCustomerGroup {
  const maxMember = input.maxMember ?? GROUP_LIMITS.defaultMaxMember;
  if (
    !Number.isInteger(maxMember) || maxMember < GROUP_LIMITS.maxMemberMin ||
    maxMember > GROUP_LIMITS.maxMemberMax
  ) {
    throw new AppError(
      "VALIDATION_FAILED",
      `maxMember ${maxMember} is outside ${GROUP_LIMITS.maxMemberMin}..${GROUP_LIMITS.maxMemberMax}`,
      { errors: [{ path: "maxMember", message: "must be an integer from 1 to 10000" }] },
    );
  }
  const groupName = input.groupName.trim();
  if (groupName.length === 0 || groupName.length > GROUP_LIMITS.groupNameMax) {
    throw new AppError("VALIDATION_FAILED", "groupName must be 1 to 100 characters", {
      errors: [{ path: "groupName", message: "must be 1 to 100 characters (not blank)" }],
    });
  }
  return {
    groupName,
    businessDomain: input.businessDomain,
    maxMember,
    description: input.description ?? null,
  };
}

/** How many ids a problem's detail names before it says "and N more" (the extension has all). */
const DETAIL_ID_LIMIT = 20;

/** "1, 2, 3" or "1, 2, ... (and 480 more)": keeps problem details readable for large requests. */
export function describeIds(ids: readonly number[]): string {
  if (ids.length <= DETAIL_ID_LIMIT) return ids.join(", ");
  return `${ids.slice(0, DETAIL_ID_LIMIT).join(", ")} (and ${ids.length - DETAIL_ID_LIMIT} more)`;
}

/** 400 VALIDATION_FAILED (path customerIds) when an id is listed twice. */
export function ensureUniqueMemberIds(customerIds: readonly number[]): void {
  const seen = new Set<number>();
  const duplicates = new Set<number>();
  for (const id of customerIds) (seen.has(id) ? duplicates : seen).add(id);
  if (duplicates.size === 0) return;
  const ids = [...duplicates];
  throw new AppError(
    "VALIDATION_FAILED",
    `customerIds lists ids more than once: ${describeIds(ids)}`,
    {
      errors: [{ path: "customerIds", message: `duplicate ids: ${describeIds(ids)}` }],
      extensions: { duplicateIds: ids },
    },
  );
}

/** 422 GROUP_MEMBER_LIMIT_EXCEEDED when more ids than the group's maxMember are requested. */
export function ensureWithinMemberLimit(
  group: Pick<CustomerGroup, "id" | "maxMember">,
  count: number,
): void {
  if (count <= group.maxMember) return;
  throw new AppError(
    "GROUP_MEMBER_LIMIT_EXCEEDED",
    `group ${group.id} allows at most ${group.maxMember} members, ${count} were given`,
    { extensions: { maxMember: group.maxMember, requested: count } },
  );
}

/** The added and removed customer ids of a replacement, each in ascending order. */
export function diffMembers(
  before: readonly number[],
  after: readonly number[],
): { added: number[]; removed: number[] } {
  const beforeSet = new Set(before);
  const afterSet = new Set(after);
  const ascending = (a: number, b: number) => a - b;
  return {
    added: [...afterSet].filter((id) => !beforeSet.has(id)).sort(ascending),
    removed: [...beforeSet].filter((id) => !afterSet.has(id)).sort(ascending),
  };
}
