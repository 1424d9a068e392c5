import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

// Issue 13: a user of another business domain must not be able to lock rows they cannot see.
// Another session holds a row lock on the general-warehousing rows; a cold-chain user's write
// naming them must answer at once (nothing of theirs to wait for), not queue behind the lock.

const GW = "GENERAL_WAREHOUSING";
const PROMPT_MS = 3_000;

/** Runs `body` while another session holds `lock` (a `select ... for update` statement). */
async function whileLocked<T>(
  env: TestApp,
  lock: (tx: typeof env.db.sql) => Promise<unknown>,
  body: () => Promise<T>,
): Promise<T> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const holding = new Promise<void>((resolve) => (locked = resolve));
  const transaction = env.db.sql.begin(async (tx) => {
    await lock(tx as unknown as typeof env.db.sql);
    locked();
    await released;
  });
  await holding;
  try {
    return await body();
  } finally {
    release();
    await transaction;
  }
}

/** The response, or "waited" when it did not come within PROMPT_MS. */
async function prompt(request: Promise<Response>): Promise<Response | "waited"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"waited">((resolve) => {
    timer = setTimeout(() => resolve("waited"), PROMPT_MS);
  });
  const outcome = await Promise.race([request, late]);
  clearTimeout(timer);
  if (outcome === "waited") await request.then((response) => response.body?.cancel());
  return outcome;
}

Deno.test(
  "writes of another domain never wait on, nor hold, locks of rows they cannot see",
  async (t) => {
    const env = await startTestApp("locks_visibility", { redis: false });
    try {
      const created = await env.request("POST", "/customers", {
        as: USERS.std,
        body: {
          customer: { customerName: "Locked GW", businessDomain: GW },
          company: { companyName: "Locked Co" },
        },
      });
      assert.equal(created.status, 201);
      const customer = await created.json();
      const group = await (await env.request("POST", "/customer-groups", {
        as: USERS.std,
        body: { groupName: "GW group", businessDomain: GW },
      })).json();
      const coldGroup = await (await env.request("POST", "/customer-groups", {
        as: USERS.cold,
        body: { groupName: "Cold group", businessDomain: "COLD_CHAIN" },
      })).json();

      await t.step("PATCH /customers/{id} of another domain: 404 without waiting", async () => {
        const response = await whileLocked(
          env,
          (tx) => tx`select id from customer where id = ${customer.id} for update`,
          () =>
            prompt(env.request("PATCH", `/customers/${customer.id}`, {
              as: USERS.cold,
              body: { remark: "cold was here" },
            })),
        );
        assert.notEqual(response, "waited", "the foreign write queued behind the row lock");
        assert.equal((response as Response).status, 404);
        await (response as Response).body?.cancel();
      });

      await t.step("PATCH status of another domain: 404 without waiting", async () => {
        const response = await whileLocked(
          env,
          (tx) => tx`select id from customer where id = ${customer.id} for update`,
          () =>
            prompt(env.request("PATCH", `/customers/${customer.id}/status`, {
              as: USERS.cold,
              body: { status: "ACTIVE" },
            })),
        );
        assert.notEqual(response, "waited");
        assert.equal((response as Response).status, 404);
        await (response as Response).body?.cancel();
      });

      await t.step("member candidates of another domain are not share-locked", async () => {
        const response = await whileLocked(
          env,
          (tx) => tx`select id from customer where id = ${customer.id} for update`,
          () =>
            prompt(env.request("PUT", `/customer-groups/${coldGroup.id}/members`, {
              as: USERS.cold,
              body: { customerIds: [customer.id] },
            })),
        );
        assert.notEqual(response, "waited", "the foreign replacement share-locked the customer");
        assert.equal((response as Response).status, 422);
        await (response as Response).body?.cancel();
      });

      await t.step("a group of another domain is not locked: 404 without waiting", async () => {
        const response = await whileLocked(
          env,
          (tx) => tx`select id from customer_group where id = ${group.id} for update`,
          () =>
            prompt(env.request("PUT", `/customer-groups/${group.id}/members`, {
              as: USERS.cold,
              body: { customerIds: [] },
            })),
        );
        assert.notEqual(response, "waited", "the foreign replacement locked the group");
        assert.equal((response as Response).status, 404);
        await (response as Response).body?.cancel();
      });

      await t.step("nothing changed", async () => {
        const [row] = await env.db.sql`select remark, status, version from customer
        where id = ${customer.id}`;
        assert.deepEqual({ ...row }, { remark: null, status: "PENDING", version: 1 });
        const members = await env.db.sql`select * from customer_group_member`;
        assert.equal(members.length, 0);
      });
    } finally {
      await env.close();
    }
  },
);
