import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { freePort, spawnService } from "../support/service_process.ts";
import { signTestToken, USERS } from "../support/tokens.ts";
import { startWebhookReceiver } from "../support/webhook_receiver.ts";

function waitUntil(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  return eventually("condition", condition, timeoutMs);
}

Deno.test(
  "SIGTERM stops the service's relay mid-batch: the in-flight delivery is recorded, the lease released",
  async () => {
    const db = await createTestDatabase("webhook_relay_shutdown");
    const receiver = startWebhookReceiver(
      () => new Promise<number>((resolve) => setTimeout(() => resolve(200), 150)),
    );
    const port = freePort();
    const child = spawnService({
      port,
      databaseUrl: db.url,
      env: {
        LOG_LEVEL: "warn",
        WEBHOOK_ALLOW_PRIVATE: "true",
        WEBHOOK_RELAY_POLL_MS: "20",
        WEBHOOK_RELAY_LEASE_MS: "600000",
      },
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      const headers = {
        authorization: `Bearer ${await signTestToken(USERS.admin)}`,
        "content-type": "application/json",
      };
      await waitUntil(async () => {
        try {
          return (await fetch(`${base}/healthz`)).ok;
        } catch {
          return false;
        }
      });
      const webhook = await (await fetch(`${base}/webhooks`, {
        method: "POST",
        headers,
        body: JSON.stringify({ url: receiver.url, eventTypes: ["CustomerCreated"] }),
      })).json();
      for (let n = 0; n < 15; n++) {
        const response = await fetch(`${base}/customers`, {
          method: "POST",
          headers,
          body: JSON.stringify({
            customer: { customerName: `Shutdown ${n}`, businessDomain: "GENERAL_WAREHOUSING" },
            company: { companyCode: "SHUT-CO", companyName: "Shutdown Company" },
          }),
        });
        assert.equal(response.status, 201);
      }
      await receiver.waitFor(3);
      child.kill("SIGTERM");
      const status = await child.status;
      assert.equal(status.code, 0);

      const received = receiver.received.length;
      assert.ok(received < 15, `stopped after ${received} of 15`);
      const [lease] = await db.sql<{ lease_owner: string | null }[]>`
        select lease_owner from webhook where id = ${webhook.id}`;
      assert.equal(lease.lease_owner, null, "the lease is given back");
      const rows = await db.sql<{ status: string }[]>`
        select status from webhook_delivery where webhook_id = ${webhook.id}`;
      assert.equal(
        rows.filter((row) => row.status === "DELIVERED").length,
        received,
        "every request sent was recorded",
      );
      assert.ok(rows.every((row) => row.status !== "FAILED"));
      // The rest waits for the next relay: pending deliveries, or events not yet fanned out.
      const [waiting] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from domain_event
        where event_type = 'CustomerCreated' and published_at is null`;
      assert.equal(waiting.n, 15 - received);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
      await receiver.close();
      await db.drop();
    }
  },
);
