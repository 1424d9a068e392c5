import assert from "node:assert/strict";
import { isLocalHostName, isPublicAddress } from "../../src/domain/webhook/address_policy.ts";
import {
  MAX_DELIVERY_ATTEMPTS,
  requireWebhookAdmin,
  retryDelayMs,
} from "../../src/domain/webhook/webhook.ts";
import { historyEntryOf } from "../../src/domain/customer/customer_history.ts";
import { AppError } from "../../src/shared/errors.ts";

const ALL = ["BONDED_WAREHOUSING", "COLD_CHAIN", "CROSS_BORDER", "GENERAL_WAREHOUSING"];

Deno.test("only public unicast addresses are reachable by default", () => {
  for (const address of ["8.8.8.8", "203.0.114.10", "2606:4700::1111", "[2a00:1450::1]"]) {
    assert.equal(isPublicAddress(address), true, address);
  }
  for (
    const address of [
      "127.0.0.1",
      "10.0.0.1",
      "172.16.5.4",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "[::1]",
      "::",
      "fe80::1",
      "fd12:3456::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "64:ff9b::a00:1",
      "2001:db8::1",
      "not-an-ip",
      "1.2.3",
    ]
  ) {
    assert.equal(isPublicAddress(address), false, address);
  }
  assert.equal(isLocalHostName("localhost"), true);
  assert.equal(isLocalHostName("api.localhost."), true);
  assert.equal(isLocalHostName("localhost.example.com"), false);
});

Deno.test("retries back off exponentially with jitter, capped", () => {
  const options = { baseMs: 1000, maxMs: 60_000 };
  assert.equal(retryDelayMs(1, { ...options, random: () => 0 }), 500);
  assert.equal(retryDelayMs(1, { ...options, random: () => 1 }), 1000);
  assert.equal(retryDelayMs(4, { ...options, random: () => 1 }), 8000);
  assert.equal(retryDelayMs(4, { ...options, random: () => 0 }), 4000);
  assert.equal(retryDelayMs(20, { ...options, random: () => 1 }), 60_000);
  assert.equal(MAX_DELIVERY_ATTEMPTS, 8);
});

Deno.test("webhooks need every enabled business domain", () => {
  const user = (domainCodes: string[]) => ({
    dingUserId: "U",
    name: "U",
    unionId: "",
    roles: [],
    positions: [],
    departments: [],
    domainCodes,
  });
  requireWebhookAdmin(user(ALL), ALL);
  for (const codes of [[], ["GENERAL_WAREHOUSING"], ALL.slice(1)]) {
    assert.throws(
      () => requireWebhookAdmin(user(codes), ALL),
      (error) => error instanceof AppError && error.code === "FORBIDDEN",
    );
  }
});

Deno.test("history entries read changes written before and after §10.7", () => {
  const base = {
    id: 9,
    occurredAt: new Date("2026-01-02T03:04:05Z"),
    operationUid: null,
    operationName: null,
    traceId: null,
  };
  const legacy = historyEntryOf({
    ...base,
    eventType: "CustomerUpdated",
    payload: { changes: { remark: { from: null, to: "vip" } } },
  }, 1);
  assert.deepEqual(legacy.changes, { remark: { old: null, new: "vip" } });
  assert.equal(legacy.occurredAt, "2026-01-02T03:04:05.000Z");
  assert.equal(legacy.operationUid, null);
  const legacyStatus = historyEntryOf({
    ...base,
    eventType: "CustomerStatusChanged",
    payload: { from: "PENDING", to: "ACTIVE" },
  }, 1);
  assert.deepEqual(legacyStatus.changes, { status: { old: "PENDING", new: "ACTIVE" } });
  const created = historyEntryOf({ ...base, eventType: "CustomerCreated", payload: {} }, 1);
  assert.equal("changes" in created, false);
  const merged = historyEntryOf({
    ...base,
    eventType: "CustomerMerged",
    payload: { sourceCustomerId: 1, targetCustomerId: 2 },
  }, 2);
  assert.equal(merged.changes, undefined, "the target's fields did not change");
  assert.equal(merged.sourceCustomerId, 1);
});
