import assert from "node:assert/strict";
import type { CustomerView } from "../../src/domain/customer/customer.ts";
import { approximateRowBytes, fetchSizer } from "../../src/infrastructure/postgres/fetch_size.ts";

function customer(remark: string | null): CustomerView {
  return {
    id: 1,
    customerCode: "CUS-000001",
    customerName: "Harbor Logistics",
    businessDomain: "COLD_CHAIN",
    status: "ACTIVE",
    mergedIntoId: null,
    source: "MANUAL",
    externalCode: null,
    contactName: null,
    contactPhone: null,
    remark,
    company: { id: 1, companyCode: "MN-1", companyName: "Harbor Co" },
    operationUid: "u1",
    operationName: "Op",
    version: 1,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
}

Deno.test("a fixed fetch size stays fixed", () => {
  const sizer = fetchSizer(7);
  sizer.saw([customer("x".repeat(2000))]);
  assert.equal(sizer.next(), 7);
});

Deno.test("a byte budget sizes each fetch from the rows of the last one", () => {
  const size = { bytes: 32 * 1024, minRows: 16, maxRows: 500 };
  const sizer = fetchSizer(size);
  assert.equal(sizer.next(), 16);
  const narrow = customer(null);
  sizer.saw(Array(16).fill(narrow));
  assert.equal(sizer.next(), Math.floor(size.bytes / approximateRowBytes(narrow)));
  assert.ok(sizer.next() * approximateRowBytes(narrow) <= size.bytes);
  // 2 000-character remarks: the next fetch shrinks to the floor, and grows back after them.
  sizer.saw(Array(100).fill(customer("备注".repeat(1000))));
  assert.equal(sizer.next(), 16);
  sizer.saw(Array(16).fill(customer("")));
  assert.ok(sizer.next() > 100 && sizer.next() <= 500);
  sizer.saw([]);
  assert.ok(sizer.next() > 100);
});

Deno.test("a row's approximate size counts its text at two bytes a character", () => {
  const base = approximateRowBytes(customer(null));
  assert.equal(approximateRowBytes(customer("abcd")), base + 8);
});
