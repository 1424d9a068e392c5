import assert from "node:assert/strict";
import { Company, sourceRefProblem } from "../../src/domain/customer/company.ts";
import { Customer } from "../../src/domain/customer/customer.ts";
import { SourcePrefixStrategy } from "../../src/domain/customer/customer_code.ts";
import { CustomerImportService } from "../../src/domain/customer/customer_import_service.ts";
import {
  CUSTOMER_STATUSES,
  type CustomerStatus,
} from "../../src/domain/customer/customer_status.ts";
import {
  isValidUnifiedSocialCreditCode,
  usccCheckCharacter,
} from "../../src/domain/customer/unified_social_credit_code.ts";
import { isAppError } from "../../src/shared/errors.ts";

const ALLOWED: Record<CustomerStatus, CustomerStatus[]> = {
  PENDING: ["ACTIVE", "TERMINATED"],
  ACTIVE: ["SUSPENDED", "TERMINATED"],
  SUSPENDED: ["ACTIVE", "TERMINATED"],
  TERMINATED: [],
};

Deno.test("Customer.changeStatus allows exactly the transitions of the status machine", () => {
  for (const from of CUSTOMER_STATUSES) {
    for (const to of CUSTOMER_STATUSES) {
      if (ALLOWED[from].includes(to)) {
        assert.equal(Customer.changeStatus(from, to), to, `${from} -> ${to}`);
      } else {
        assert.throws(
          () => Customer.changeStatus(from, to),
          (error) => isAppError(error, "INVALID_STATUS_TRANSITION"),
          `${from} -> ${to} must be refused`,
        );
      }
    }
  }
});

Deno.test("a new customer starts PENDING unless ACTIVE is asked", () => {
  assert.equal(Customer.initialStatus(undefined), "PENDING");
  assert.equal(Customer.initialStatus("PENDING"), "PENDING");
  assert.equal(Customer.initialStatus("ACTIVE"), "ACTIVE");
});

Deno.test("Customer.changeDomain needs both domains and tells whether the domain changes", () => {
  const user = { dingUserId: "U1", domainCodes: ["GENERAL_WAREHOUSING", "COLD_CHAIN"] };
  assert.equal(Customer.changeDomain(user, "GENERAL_WAREHOUSING", "COLD_CHAIN"), true);
  assert.equal(Customer.changeDomain(user, "COLD_CHAIN", "COLD_CHAIN"), false);
  assert.throws(
    () => Customer.changeDomain(user, "GENERAL_WAREHOUSING", "CROSS_BORDER"),
    (error) => isAppError(error, "FORBIDDEN"),
  );
  assert.throws(
    () => Customer.changeDomain(user, "CROSS_BORDER", "COLD_CHAIN"),
    (error) => isAppError(error, "FORBIDDEN"),
  );
});

Deno.test("SourcePrefixStrategy prefixes the external code or an 8-digit sequence number", () => {
  assert.equal(SourcePrefixStrategy.customerCode("MANUAL", undefined, 42), "MN-00000042");
  assert.equal(SourcePrefixStrategy.customerCode("RB", "R-1001"), "RB-R-1001");
  assert.equal(SourcePrefixStrategy.customerCode("ERP", null, 7), "ERP-00000007");
  assert.equal(SourcePrefixStrategy.customerCode("ERP", "E9", 7), "ERP-E9");
  assert.equal(SourcePrefixStrategy.customerCode("MANUAL", undefined, 123456789), "MN-123456789");
  assert.equal(SourcePrefixStrategy.needsSequence(undefined), true);
  assert.equal(SourcePrefixStrategy.needsSequence("X"), false);
  assert.throws(() => SourcePrefixStrategy.customerCode("MANUAL"));
});

Deno.test("a new company's code is PREFIX-sourceRefId when it fits, else a sequence number", () => {
  assert.equal(Company.newCompanyCode("RB", "C-77"), "RB-C-77");
  assert.equal(Company.codeNeedsSequence("MANUAL", undefined), true);
  assert.equal(Company.newCompanyCode("MANUAL", undefined, 5), "MN-00000005");
  const long = "x".repeat(64);
  assert.equal(Company.codeNeedsSequence("ERP", long), true);
  assert.equal(Company.newCompanyCode("ERP", long, 12), "ERP-00000012");
});

Deno.test("Company.validateSourceRef: non-MANUAL needs a 1-64 char [A-Za-z0-9_-] reference", () => {
  Company.validateSourceRef("MANUAL", undefined);
  Company.validateSourceRef("MANUAL", "abc_DEF-1");
  Company.validateSourceRef("RB", "C1");
  Company.validateSourceRef("ERP", "a".repeat(64));
  for (
    const [source, ref] of [
      ["RB", undefined],
      ["ERP", null],
      ["RB", ""],
      ["RB", "a".repeat(65)],
      ["RB", "has space"],
      ["MANUAL", "bad/char"],
      ["ERP", "中文"],
    ] as const
  ) {
    assert.ok(sourceRefProblem(source, ref), `${source} ${ref}`);
    assert.throws(
      () => Company.validateSourceRef(source, ref),
      (error) =>
        isAppError(error, "VALIDATION_FAILED") && error.errors?.[0].path === "company.sourceRefId",
    );
  }
});

Deno.test("unified social credit codes are checked against the GB 32100-2015 check character", () => {
  for (const valid of ["91350100M000100Y43", "91110000100000000R", "91110000600037341L"]) {
    assert.equal(isValidUnifiedSocialCreditCode(valid), true, valid);
  }
  assert.equal(usccCheckCharacter("91350100M000100Y4"), "3");
  for (
    const invalid of [
      "91350100M000100Y44", // wrong check character
      "91350100M000100Y4", // 17 characters
      "91350100M000100Y433", // 19 characters
      "91350100I000100Y43", // I is not in the charset
      "91350100m000100Y43", // lower case
      "",
    ]
  ) {
    assert.equal(isValidUnifiedSocialCreditCode(invalid), false, invalid);
  }
});

Deno.test("CustomerImportService normalises an rb_customer row into an RB create command", () => {
  const input = CustomerImportService.normalise({
    remoteId: " R-1001 ",
    customerName: " Acme Cold ",
    companyName: "Acme Ltd",
    companyRefId: "C-9",
    businessDomain: "COLD_CHAIN",
    contactName: "Li Lei",
    contactPhone: "",
    updatedAt: "2026-01-01 00:00:00.000000",
  });
  assert.deepEqual(input, {
    customer: {
      customerName: "Acme Cold",
      businessDomain: "COLD_CHAIN",
      source: "RB",
      externalCode: "R-1001",
      contactName: "Li Lei",
    },
    company: { source: "RB", sourceRefId: "C-9", companyName: "Acme Ltd" },
    remoteId: "R-1001",
  });
  const sparse = CustomerImportService.normalise({
    remoteId: "77",
    customerName: null,
    companyName: null,
    companyRefId: null,
    businessDomain: null,
    contactName: null,
    contactPhone: null,
    updatedAt: "2026-01-01 00:00:00.000000",
  });
  assert.equal(sparse.remoteId, "77");
  assert.equal(sparse.customer.customerName, "");
  assert.deepEqual(sparse.company, { source: "RB" });
});
