import assert from "node:assert/strict";
import {
  assignToGroup,
  ensureAssignable,
  type MemberCandidate,
} from "../../src/domain/customer/assign_to_group.ts";
import {
  describeIds,
  diffMembers,
  ensureUniqueMemberIds,
  ensureWithinMemberLimit,
  newCustomerGroup,
} from "../../src/domain/group/customer_group.ts";
import { AppError } from "../../src/shared/errors.ts";

const GW = "GENERAL_WAREHOUSING";
const COLD = "COLD_CHAIN";
const group = { id: 7, businessDomain: GW, maxMember: 3 };
const stdUser = { domainCodes: [GW] };
const bothUser = { domainCodes: [COLD, GW] };

function customer(id: number, businessDomain = GW, status = "ACTIVE"): MemberCandidate {
  return { id, businessDomain, status: status as MemberCandidate["status"] };
}

function thrown(fn: () => void): AppError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError);
    return error;
  }
  assert.fail("expected an AppError");
}

Deno.test("newCustomerGroup defaults maxMember to 200 and keeps the bounds 1..10000", () => {
  assert.equal(newCustomerGroup({ groupName: "VIP", businessDomain: GW }).maxMember, 200);
  assert.equal(
    newCustomerGroup({ groupName: "VIP", businessDomain: GW, maxMember: 10000 }).maxMember,
    10000,
  );
  assert.equal(
    thrown(() => newCustomerGroup({ groupName: "VIP", businessDomain: GW, maxMember: 0 })).code,
    "VALIDATION_FAILED",
  );
  assert.equal(
    thrown(() => newCustomerGroup({ groupName: "VIP", businessDomain: GW, maxMember: 10001 }))
      .code,
    "VALIDATION_FAILED",
  );
  assert.equal(
    thrown(() => newCustomerGroup({ groupName: "  ", businessDomain: GW })).code,
    "VALIDATION_FAILED",
  );
  assert.equal(newCustomerGroup({ groupName: " VIP ", businessDomain: GW }).description, null);
});

Deno.test("assignToGroup refuses another domain and TERMINATED customers", () => {
  assert.equal(assignToGroup(customer(1), group), undefined);
  assert.equal(assignToGroup(customer(1, GW, "SUSPENDED"), group), undefined);
  assert.equal(assignToGroup(customer(1, GW, "PENDING"), group), undefined);
  assert.equal(assignToGroup(customer(1, COLD), group), "DOMAIN_MISMATCH");
  assert.equal(assignToGroup(customer(1, GW, "TERMINATED"), group), "TERMINATED");
});

Deno.test("ensureUniqueMemberIds lists duplicates under path customerIds", () => {
  ensureUniqueMemberIds([1, 2, 3]);
  ensureUniqueMemberIds([]);
  const error = thrown(() => ensureUniqueMemberIds([1, 2, 1, 3, 2]));
  assert.equal(error.code, "VALIDATION_FAILED");
  assert.deepEqual(error.errors?.map((e) => e.path), ["customerIds"]);
  assert.deepEqual(error.extensions?.duplicateIds, [1, 2]);
});

Deno.test("ensureAssignable reports missing and invisible ids as INVALID_MEMBER", () => {
  const error = thrown(() =>
    ensureAssignable(group, [3, 1, 9], [customer(1), customer(3, COLD)], stdUser)
  );
  assert.equal(error.code, "INVALID_MEMBER");
  assert.deepEqual(error.extensions?.invalidIds, [3, 9]);
  assert.match(error.message, /3, 9/);
});

Deno.test("ensureAssignable reports visible customers of another domain as DOMAIN_MISMATCH", () => {
  const error = thrown(() =>
    ensureAssignable(
      group,
      [1, 3, 2],
      [customer(1), customer(2, COLD), customer(3, COLD)],
      bothUser,
    )
  );
  assert.equal(error.code, "DOMAIN_MISMATCH");
  assert.deepEqual(error.extensions?.mismatchedIds, [2, 3]);
});

Deno.test("ensureAssignable reports TERMINATED customers as INVALID_MEMBER", () => {
  const error = thrown(() =>
    ensureAssignable(group, [1, 2], [customer(1), customer(2, GW, "TERMINATED")], stdUser)
  );
  assert.equal(error.code, "INVALID_MEMBER");
  assert.deepEqual(error.extensions?.invalidIds, [2]);
});

Deno.test("ensureAssignable enforces maxMember and accepts a valid or empty set", () => {
  const four = [1, 2, 3, 4].map((id) => customer(id));
  const error = thrown(() => ensureAssignable(group, [1, 2, 3, 4], four, stdUser));
  assert.equal(error.code, "GROUP_MEMBER_LIMIT_EXCEEDED");
  ensureAssignable(group, [1, 2, 3], four, stdUser);
  ensureAssignable(group, [], [], stdUser);
  assert.equal(thrown(() => ensureWithinMemberLimit(group, 4)).extensions?.maxMember, 3);
});

Deno.test("diffMembers answers added and removed ids in ascending order", () => {
  assert.deepEqual(diffMembers([5, 1, 2], [2, 9, 3]), { added: [3, 9], removed: [1, 5] });
  assert.deepEqual(diffMembers([], []), { added: [], removed: [] });
});

Deno.test("describeIds keeps long id lists short in problem details", () => {
  assert.equal(describeIds([1, 2]), "1, 2");
  const ids = Array.from({ length: 25 }, (_, i) => i + 1);
  assert.match(describeIds(ids), /^1, 2, .*20 \(and 5 more\)$/);
});
