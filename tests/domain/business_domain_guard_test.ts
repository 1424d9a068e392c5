import assert from "node:assert/strict";
import type { CurrentUser } from "../../src/domain/auth/current_user.ts";
import { BusinessDomainGuard } from "../../src/domain/auth/business_domain_guard.ts";
import { AppError } from "../../src/shared/errors.ts";

function userWith(domainCodes: string[]): CurrentUser {
  return {
    dingUserId: "U1",
    name: "One",
    unionId: "un-secret-1",
    roles: [],
    positions: [],
    departments: [],
    domainCodes,
  };
}

const cold = userWith(["COLD_CHAIN"]);
const nobody = userWith([]);
const notFound = () => new AppError("CUSTOMER_NOT_FOUND", "customer 7 not found");
const isCode = (code: string) => (error: unknown) =>
  error instanceof AppError && error.code === code;

Deno.test("requireAny forbids a user mapped to no domain", () => {
  assert.throws(() => BusinessDomainGuard.requireAny(nobody), isCode("FORBIDDEN"));
  BusinessDomainGuard.requireAny(cold);
});

Deno.test("requireDomain forbids a named domain the user lacks", () => {
  BusinessDomainGuard.requireDomain(cold, "COLD_CHAIN");
  assert.throws(
    () => BusinessDomainGuard.requireDomain(cold, "GENERAL_WAREHOUSING"),
    isCode("FORBIDDEN"),
  );
  assert.throws(() => BusinessDomainGuard.requireDomain(nobody, "COLD_CHAIN"), isCode("FORBIDDEN"));
});

Deno.test("visibleDomains answers the user's domains and forbids users without any", () => {
  assert.deepEqual(BusinessDomainGuard.visibleDomains(userWith(["A_B", "C_D"])), ["A_B", "C_D"]);
  assert.throws(() => BusinessDomainGuard.visibleDomains(nobody), isCode("FORBIDDEN"));
});

Deno.test("filterDomains narrows to a held domain and forbids a foreign one", () => {
  const both = userWith(["COLD_CHAIN", "CROSS_BORDER"]);
  assert.deepEqual(BusinessDomainGuard.filterDomains(both), ["COLD_CHAIN", "CROSS_BORDER"]);
  assert.deepEqual(BusinessDomainGuard.filterDomains(both, "CROSS_BORDER"), ["CROSS_BORDER"]);
  assert.throws(
    () => BusinessDomainGuard.filterDomains(both, "BONDED_WAREHOUSING"),
    isCode("FORBIDDEN"),
  );
  assert.throws(() => BusinessDomainGuard.filterDomains(nobody), isCode("FORBIDDEN"));
});

Deno.test("ensureVisible reports a record of a foreign domain as not found", () => {
  BusinessDomainGuard.ensureVisible(cold, "COLD_CHAIN", notFound);
  assert.throws(
    () => BusinessDomainGuard.ensureVisible(cold, "GENERAL_WAREHOUSING", notFound),
    isCode("CUSTOMER_NOT_FOUND"),
  );
  assert.equal(BusinessDomainGuard.canSee(cold, "COLD_CHAIN"), true);
  assert.equal(BusinessDomainGuard.canSee(cold, "CROSS_BORDER"), false);
});

Deno.test("ensureVisible forbids a user mapped to no domain rather than answering 404", () => {
  assert.throws(
    () => BusinessDomainGuard.ensureVisible(nobody, "COLD_CHAIN", notFound),
    isCode("FORBIDDEN"),
  );
});

Deno.test("guard errors never carry the union id", () => {
  assert.throws(
    () => BusinessDomainGuard.requireDomain(cold, "CROSS_BORDER"),
    (error: unknown) =>
      isCode("FORBIDDEN")(error) && !(error as Error).message.includes("un-secret-1"),
  );
});
