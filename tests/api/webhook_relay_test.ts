import assert from "node:assert/strict";
import { openPool } from "../../src/infrastructure/postgres/database.ts";
import {
  startWebhookRelay,
  type WebhookRelay,
} from "../../src/infrastructure/webhooks/webhook_relay.ts";
import { createWebhookSecrets } from "../../src/infrastructure/webhooks/webhook_secrets.ts";
import { createWebhookUrlPolicy } from "../../src/infrastructure/webhooks/webhook_url_policy.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";
import {
  startWebhookReceiver,
  verifyStandardWebhook,
  type WebhookReceiver,
} from "../support/webhook_receiver.ts";

const GW = "GENERAL_WAREHOUSING";

/**
 * Short relay settings so retries take milliseconds. The time-out stays at 1 s: a loaded CI
 * machine must not turn a slow 200 into a retry and a duplicate.
 */
const RELAY_ENV = {
  WEBHOOK_ALLOW_PRIVATE: "true",
  WEBHOOK_RETRY_BASE_MS: "20",
  WEBHOOK_RETRY_MAX_MS: "80",
  WEBHOOK_TIMEOUT_MS: "1000",
  WEBHOOK_RELAY_POLL_MS: "20",
  WEBHOOK_RELAY_LEASE_MS: "3000",
};

function relayOn(env: TestApp, sql = env.deps.db.sql, owner?: string): WebhookRelay {
  return startWebhookRelay({ ...env.deps, sql }, { owner });
}

async function registerWebhook(
  env: TestApp,
  receiver: WebhookReceiver,
  eventTypes = ["CustomerCreated", "CustomerUpdated"],
  businessDomains?: string[],
) {
  const response = await env.request("POST", "/webhooks", {
    as: USERS.admin,
    body: { url: receiver.url, eventTypes, businessDomains },
  });
  assert.equal(response.status, 201, await response.clone().text());
  return await response.json() as { id: number; secret: string };
}

async function createCustomer(env: TestApp, name: string): Promise<number> {
  const response = await env.request("POST", "/customers", {
    as: USERS.std,
    body: {
      customer: { customerName: name, businessDomain: GW },
      company: { companyCode: "RELAY-CO", companyName: "Relay Company" },
    },
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()).id;
}

/** Writes `count` CustomerUpdated events (remark 0..count-1) on one customer, in order. */
async function patchRemarks(env: TestApp, customerId: number, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    const response = await env.request("PATCH", `/customers/${customerId}`, {
      as: USERS.std,
      body: { remark: `remark ${n}` },
    });
    assert.equal(response.status, 200);
  }
}

async function deliveryRows(env: TestApp, webhookId: number) {
  return await env.db.sql<{ event_id: number; status: string; attempts: number }[]>`
    select event_id, status, attempts from webhook_delivery where webhook_id = ${webhookId}
    order by event_id`;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function countById(receiver: WebhookReceiver): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of receiver.received) {
    const id = item.headers.get("webhook-id")!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

Deno.test("webhook relay: signed deliveries in write order", async (t) => {
  const env = await startTestApp("webhook_relay_order", { env: RELAY_ENV });
  const receiver = startWebhookReceiver();
  const coldReceiver = startWebhookReceiver();
  let relay: WebhookRelay | undefined;
  try {
    const earlyId = await createCustomer(env, "Before The Webhook");
    const webhook = await registerWebhook(env, receiver);
    const coldHook = await registerWebhook(env, coldReceiver, ["CustomerCreated"], ["COLD_CHAIN"]);
    const customerId = await createCustomer(env, "Relay Order");
    await patchRemarks(env, customerId, 100);
    relay = relayOn(env);

    await t.step("every request carries a Standard Webhooks signature of the secret", async () => {
      await receiver.waitFor(101);
      const first = receiver.received[0];
      assert.equal(await verifyStandardWebhook(webhook.secret, first), true);
      assert.equal(
        await verifyStandardWebhook("whsec_" + btoa("another key of 24 bytes!"), first),
        false,
      );
      assert.equal(first.headers.get("content-type"), "application/json");
      assert.equal(first.headers.get("webhook-id"), String(first.json.id));
      const age = Date.now() / 1000 - Number(first.headers.get("webhook-timestamp"));
      assert.ok(age >= 0 && age < 60, `timestamp ${age} s old`);
      assert.deepEqual(Object.keys(first.json).sort(), [
        "aggregateId",
        "aggregateType",
        "businessDomain",
        "eventType",
        "id",
        "occurredAt",
        "payload",
      ]);
      assert.equal(first.json.eventType, "CustomerCreated");
      assert.equal(first.json.aggregateType, "Customer");
      assert.equal(first.json.aggregateId, customerId);
      assert.equal(first.json.businessDomain, GW);
      for (const item of receiver.received) {
        assert.equal(await verifyStandardWebhook(webhook.secret, item), true);
      }
    });

    await t.step("100 events reach one webhook once each, in the order written", () => {
      const updates = receiver.received.slice(1);
      assert.equal(updates.length, 100);
      assert.deepEqual(
        updates.map((item) =>
          (item.json.payload as { changes: { remark: { new: string } } })
            .changes.remark.new
        ),
        Array.from({ length: 100 }, (_, n) => `remark ${n}`),
      );
      const ids = receiver.received.map((item) => item.json.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      assert.equal(new Set(ids).size, 101);
    });

    await t.step("events written before a webhook or of other domains are not sent to it", () => {
      assert.ok(receiver.received.every((item) => item.json.aggregateId !== earlyId));
      assert.equal(coldReceiver.received.length, 0);
    });

    await t.step("events are published once every matching webhook has them", async () => {
      assert.equal((await deliveryRows(env, coldHook.id)).length, 0);
      await waitUntil(async () => {
        const [row] = await env.db.sql<{ n: number }[]>`
          select count(*)::int as n from domain_event where published_at is null`;
        return row.n === 0;
      });
      const rows = await deliveryRows(env, webhook.id);
      assert.equal(rows.length, 101);
      assert.ok(rows.every((row) => row.status === "DELIVERED" && row.attempts === 1));
      const log = await env.request("GET", `/webhooks/${webhook.id}/deliveries?status=DELIVERED`, {
        as: USERS.admin,
      });
      const page = await log.json();
      assert.equal(page.items.length, 20);
      assert.equal(page.items[0].eventId, rows.at(-1)!.event_id);
      assert.ok(page.nextCursor);
      const failed = await env.request("GET", `/webhooks/${webhook.id}/deliveries?status=FAILED`, {
        as: USERS.admin,
      });
      assert.deepEqual(await failed.json(), { items: [], nextCursor: null });
    });

    await t.step(
      "an event no webhook matches is published at once; metrics show the relay",
      async () => {
        const group = await env.request("POST", "/customer-groups", {
          as: USERS.std,
          body: { groupName: "Unwatched", businessDomain: GW },
        });
        assert.equal(group.status, 201);
        await waitUntil(async () => {
          const [row] = await env.db.sql<{ published: boolean }[]>`
          select published_at is not null as published from domain_event
          where event_type = 'CustomerGroupCreated'`;
          return row.published;
        });
        const [row] = await env.db.sql<{ n: number }[]>`
        select count(*)::int as n from webhook_delivery d join domain_event e on e.id = d.event_id
        where e.event_type = 'CustomerGroupCreated'`;
        assert.equal(row.n, 0);
        const metrics = await env.deps.metrics.render();
        assert.match(metrics, /webhook_delivery_attempts_total\{outcome="delivered"\} 101/);
        assert.match(metrics, /webhook_relay_lag_seconds \d/);
      },
    );
  } finally {
    await relay?.stop();
    await receiver.close();
    await coldReceiver.close();
    await env.close();
  }
});

Deno.test(
  "webhook relay: retries with backoff, then FAILED; redeliver",
  async (t) => {
    const env = await startTestApp("webhook_relay_retry", { env: RELAY_ENV });
    const flaky = startWebhookReceiver((n) => (n <= 3 ? 500 : 200));
    const silent = startWebhookReceiver(() => "hang");
    let relay: WebhookRelay | undefined;
    try {
      const flakyHook = await registerWebhook(env, flaky, ["CustomerCreated"]);
      const silentHook = await registerWebhook(env, silent, ["CustomerCreated"]);
      await createCustomer(env, "Relay Retry");
      relay = relayOn(env);

      await t.step(
        "a receiver answering 500 three times gets the event on the 4th attempt",
        async () => {
          await waitUntil(async () =>
            (await deliveryRows(env, flakyHook.id))[0]?.status === "DELIVERED"
          );
          assert.equal(flaky.received.length, 4);
          assert.equal(
            new Set(flaky.received.map((item) => item.body)).size,
            1,
            "same body each time",
          );
          const [row] = await deliveryRows(env, flakyHook.id);
          assert.equal(row.attempts, 4);
          const [timing] = await env.db.sql<{ delivered_at: Date; created_at: Date }[]>`
        select delivered_at, created_at from webhook_delivery where webhook_id = ${flakyHook.id}`;
          // Three backoffs of at least half of 20, 40 and 80 ms.
          assert.ok(timing.delivered_at.getTime() - timing.created_at.getTime() >= 70);
        },
      );

      await t.step("a receiver that never answers ends FAILED after 8 attempts", async () => {
        await waitUntil(async () =>
          (await deliveryRows(env, silentHook.id))[0]?.status === "FAILED"
        );
        const [row] = await deliveryRows(env, silentHook.id);
        assert.equal(row.attempts, 8);
        assert.equal(silent.received.length, 8);
        const response = await env.request(
          "GET",
          `/webhooks/${silentHook.id}/deliveries?status=FAILED`,
          { as: USERS.admin },
        );
        const [delivery] = (await response.json()).items;
        assert.equal(delivery.status, "FAILED");
        assert.equal(delivery.attempts, 8);
        assert.equal(delivery.lastError, "timed out");
        assert.equal(delivery.nextAttemptAt, null);
        const [event] = await env.db.sql<{ published_at: Date | null }[]>`
        select published_at from domain_event where id = ${delivery.eventId}`;
        assert.equal(event.published_at, null, "not every webhook has it");
        assert.match(
          await env.deps.metrics.render(),
          /webhook_delivery_attempts_total\{outcome="failed"\} 1/,
        );
        // The FAILED delivery keeps the relay's lag growing: a subscriber misses an event.
        await waitUntil(async () => {
          const metrics = await env.deps.metrics.render();
          const lag = metrics.match(/^webhook_relay_lag_seconds (\S+)$/m);
          return Number(lag?.[1]) >= 1;
        });
      });

      await t.step("redeliver queues a FAILED delivery again; others answer 409", async () => {
        const [failed] = (await (await env.request(
          "GET",
          `/webhooks/${silentHook.id}/deliveries`,
          { as: USERS.admin },
        )).json()).items;
        await relay!.stop();
        relay = undefined;
        const response = await env.request(
          "POST",
          `/webhooks/${silentHook.id}/deliveries/${failed.id}/redeliver`,
          { as: USERS.admin },
        );
        assert.equal(response.status, 202);
        const queued = await response.json();
        assert.equal(queued.status, "PENDING");
        assert.equal(queued.attempts, 0);
        const again = await env.request(
          "POST",
          `/webhooks/${silentHook.id}/deliveries/${failed.id}/redeliver`,
          { as: USERS.admin },
        );
        assert.equal(again.status, 409);
        const missing = await env.request(
          "POST",
          `/webhooks/${silentHook.id}/deliveries/999999/redeliver`,
          { as: USERS.admin },
        );
        assert.equal(missing.status, 404);
        assert.equal((await missing.json()).code, "WEBHOOK_DELIVERY_NOT_FOUND");
        // Deleting the silent webhook leaves the event with every remaining webhook served.
        const deleted = await env.request("DELETE", `/webhooks/${silentHook.id}`, {
          as: USERS.admin,
        });
        assert.equal(deleted.status, 204);
        const [event] = await env.db.sql<{ published_at: Date | null }[]>`
        select published_at from domain_event where id = ${failed.eventId}`;
        assert.notEqual(event.published_at, null);
      });
    } finally {
      await relay?.stop();
      await flaky.close();
      await silent.close();
      await env.close();
    }
  },
);

Deno.test("webhook relay: the URL is checked again at delivery time", async () => {
  const env = await startTestApp("webhook_relay_dns", { env: RELAY_ENV });
  const receiver = startWebhookReceiver();
  // Registered while private addresses were allowed; this relay's policy refuses them.
  const strictPolicy = createWebhookUrlPolicy({ APP_ENV: "test", WEBHOOK_ALLOW_PRIVATE: false });
  const relay = startWebhookRelay({
    ...env.deps,
    sql: env.deps.db.sql,
    webhookUrlPolicy: strictPolicy,
  });
  try {
    const webhook = await registerWebhook(env, receiver, ["CustomerCreated"]);
    await createCustomer(env, "Relay Refused");
    await waitUntil(async () => (await deliveryRows(env, webhook.id))[0]?.attempts >= 2);
    assert.equal(receiver.received.length, 0);
    const [row] = await env.db.sql<{ last_error: string }[]>`
      select last_error from webhook_delivery where webhook_id = ${webhook.id}`;
    assert.match(row.last_error, /url refused: 127\.0\.0\.1 is not a public address/);
  } finally {
    await relay.stop();
    await receiver.close();
    await env.close();
  }
});

Deno.test(
  "webhook relay: a secret sealed under another WEBHOOK_SECRET_KEY fails its deliveries",
  async () => {
    const env = await startTestApp("webhook_relay_key", { env: RELAY_ENV });
    const receiver = startWebhookReceiver();
    const otherKey = await createWebhookSecrets({
      APP_ENV: "test",
      WEBHOOK_SECRET_KEY: "a-different-key-than-the-one-that-sealed-it",
    });
    const relay = startWebhookRelay({
      ...env.deps,
      sql: env.deps.db.sql,
      webhookSecrets: otherKey,
    });
    try {
      const webhook = await registerWebhook(env, receiver, ["CustomerCreated"]);
      await createCustomer(env, "Relay Wrong Key");
      await waitUntil(async () => (await deliveryRows(env, webhook.id))[0]?.attempts >= 1);
      assert.equal(receiver.received.length, 0, "nothing unsigned or wrongly signed is sent");
      const [row] = await env.db.sql<{ last_error: string }[]>`
        select last_error from webhook_delivery where webhook_id = ${webhook.id}`;
      assert.match(row.last_error, /secret cannot be decrypted .*WEBHOOK_SECRET_KEY/);
    } finally {
      await relay.stop();
      await receiver.close();
      await env.close();
    }
  },
);

Deno.test("webhook relay: instances share the work", async (t) => {
  const env = await startTestApp("webhook_relay_shared", { env: RELAY_ENV });
  const slow = () => new Promise<number>((resolve) => setTimeout(() => resolve(200), 15));
  const receivers = [0, 1, 2].map(() => startWebhookReceiver(slow));
  const otherPool = openPool(env.db.url, { max: 3, connectTimeoutSeconds: 5 });
  const relays: WebhookRelay[] = [];
  try {
    await t.step("two relays at once deliver each event exactly once per webhook", async () => {
      for (const receiver of receivers) await registerWebhook(env, receiver);
      const customerId = await createCustomer(env, "Relay Shared");
      await patchRemarks(env, customerId, 30);
      relays.push(relayOn(env, env.deps.db.sql, "relay-a"), relayOn(env, otherPool, "relay-b"));
      for (const receiver of receivers) await receiver.waitFor(31);
      await new Promise((resolve) => setTimeout(resolve, 300)); // room for a duplicate to show
      for (const receiver of receivers) {
        assert.equal(receiver.received.length, 31);
        assert.ok([...countById(receiver).values()].every((count) => count === 1));
        const ids = receiver.received.map((item) => item.json.id);
        assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "in write order");
      }
      const [pending] = await env.db.sql<{ n: number }[]>`
        select count(*)::int as n from domain_event where published_at is null`;
      assert.equal(pending.n, 0);
    });
  } finally {
    await Promise.all(relays.map((relay) => relay.stop()));
    await otherPool.end({ timeout: 5 });
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await env.close();
  }
});

Deno.test(
  "webhook relay: a relay stopped or killed mid-batch loses no event",
  async (t) => {
    const env = await startTestApp("webhook_relay_stop", { env: RELAY_ENV });
    const slow = () => new Promise<number>((resolve) => setTimeout(() => resolve(200), 20));
    const receiver = startWebhookReceiver(slow);
    try {
      const webhook = await registerWebhook(env, receiver, ["CustomerUpdated"]);
      const customerId = await createCustomer(env, "Relay Stop");

      await t.step("stopped: in-flight requests finish, the lease is released", async () => {
        await patchRemarks(env, customerId, 40);
        const first = relayOn(env, env.deps.db.sql, "relay-stopped");
        await receiver.waitFor(8);
        await first.stop();
        const received = receiver.received.length;
        assert.ok(received < 40, `stopped after ${received} of 40`);
        const rows = await deliveryRows(env, webhook.id);
        assert.equal(rows.filter((row) => row.status === "DELIVERED").length, received);
        const [lease] = await env.db.sql<{ lease_owner: string | null }[]>`
        select lease_owner from webhook where id = ${webhook.id}`;
        assert.equal(lease.lease_owner, null);
        const second = relayOn(env, env.deps.db.sql, "relay-after-stop");
        await receiver.waitFor(40);
        await second.stop();
        assert.equal(receiver.received.length, 40);
        assert.ok([...countById(receiver).values()].every((count) => count === 1));
      });

      await t.step("killed: after its lease expires another relay delivers the rest", async () => {
        receiver.received.length = 0;
        await patchRemarks(env, customerId, 40);
        const doomedPool = openPool(env.db.url, { max: 2, connectTimeoutSeconds: 5 });
        const doomed = relayOn(env, doomedPool, "relay-killed");
        await receiver.waitFor(8);
        // Its connections die mid-batch: nothing more is recorded, the lease is not given back.
        await doomedPool.end({ timeout: 0 });
        await doomed.stop();
        const survivor = relayOn(env, env.deps.db.sql, "relay-survivor");
        try {
          await waitUntil(async () =>
            (await deliveryRows(env, webhook.id)).every((row) => row.status === "DELIVERED")
          );
        } finally {
          await survivor.stop();
        }
        const events = await env.db.sql<{ id: number }[]>`
        select id from domain_event where event_type = 'CustomerUpdated' order by id`;
        const counts = countById(receiver);
        const lastForty = events.slice(-40).map((event) => String(event.id));
        assert.ok(lastForty.every((id) => (counts.get(id) ?? 0) >= 1), "every event arrived");
        const [unpublished] = await env.db.sql<{ n: number }[]>`
        select count(*)::int as n from domain_event where published_at is null`;
        assert.equal(unpublished.n, 0);
      });
    } finally {
      await receiver.close();
      await env.close();
    }
  },
);
