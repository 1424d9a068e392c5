import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

// Contract §10.2: POST /customers leaves a FAILED sync row only for a user who holds the business
// domain the body names; anyone else gets 403 and the sync table stays as it was.

const GW = "GENERAL_WAREHOUSING";
const COLD = "COLD_CHAIN";

function rbImport(remoteId: string, domain: string, customerName = `RB ${remoteId}`) {
  return {
    customer: {
      customerName,
      businessDomain: domain,
      source: "RB",
      externalCode: remoteId,
    },
    company: { source: "RB", sourceRefId: `C-${remoteId}`, companyName: "RB Co" },
    remoteId,
  };
}

async function syncRows(env: TestApp) {
  return [
    ...await env.db.sql<{ remote_id: string; error_code: string; business_domain: string }[]>`
    select remote_id, error_code, business_domain from external_system_sync order by id`,
  ];
}

async function expectProblem(response: Response, status: number, code: string) {
  assert.equal(response.status, status);
  const body = await response.json();
  assert.equal(body.code, code);
  return body;
}

Deno.test("a forbidden create leaves no sync record", async (t) => {
  const env = await startTestApp("rejected_create_trace");
  const post = (body: unknown, as: typeof USERS[keyof typeof USERS]) =>
    env.request("POST", "/customers", { as, body });
  try {
    await t.step("a user with no domain: 403 for a valid and an invalid body", async () => {
      await expectProblem(await post(rbImport("N-1", GW), USERS.nobody), 403, "FORBIDDEN");
      await expectProblem(await post(rbImport("N-2", GW, ""), USERS.nobody), 403, "FORBIDDEN");
      await expectProblem(
        await post({ ...rbImport("N-3", GW), extra: true }, USERS.nobody),
        403,
        "FORBIDDEN",
      );
      assert.deepEqual(await syncRows(env), []);
    });

    await t.step("a user of another domain: 403 for a valid and an invalid body", async () => {
      await expectProblem(await post(rbImport("C-1", COLD), USERS.std), 403, "FORBIDDEN");
      await expectProblem(await post(rbImport("C-2", COLD, ""), USERS.std), 403, "FORBIDDEN");
      assert.deepEqual(await syncRows(env), []);
    });

    await t.step("an invalid domain is a 400 that writes nothing", async () => {
      const body = await expectProblem(
        await post(rbImport("X-1", "NO_SUCH_DOMAIN"), USERS.std),
        400,
        "VALIDATION_FAILED",
      );
      assert.deepEqual(body.errors.map((e: { path: string }) => e.path), [
        "customer.businessDomain",
      ]);
      assert.deepEqual(await syncRows(env), []);
    });

    await t.step("the holder of the domain still leaves the FAILED row", async () => {
      const body = await expectProblem(
        await post(rbImport("G-1", GW, ""), USERS.std),
        400,
        "VALIDATION_FAILED",
      );
      assert.deepEqual(body.errors.map((e: { path: string }) => e.path), [
        "customer.customerName",
      ]);
      assert.deepEqual(await syncRows(env), [
        { remote_id: "G-1", error_code: "VALIDATION_FAILED", business_domain: GW },
      ]);
    });
  } finally {
    await env.close();
  }
});
