import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const GW = "GENERAL_WAREHOUSING";
const COLD = "COLD_CHAIN";
const USCC = "91350100M000100Y43";

async function problemOf(response: Response, status: number, code: string) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}`);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const body = await response.json();
  assert.equal(body.code, code);
  return body;
}

function manual(name: string, extra: Record<string, unknown> = {}) {
  return {
    customer: { customerName: name, businessDomain: GW, ...extra },
    company: { companyName: `${name.slice(0, 40)} Ltd` },
  };
}

function rbImport(remoteId: string, extra: { domain?: string; companyRef?: string } = {}) {
  return {
    customer: {
      customerName: `RB customer ${remoteId}`,
      businessDomain: extra.domain ?? GW,
      source: "RB",
      externalCode: remoteId,
    },
    company: {
      source: "RB",
      sourceRefId: extra.companyRef ?? `C-${remoteId}`,
      companyName: "RB Co",
    },
    remoteId,
  };
}

function post(env: TestApp, body: unknown, as: typeof USERS[keyof typeof USERS] = USERS.std) {
  return env.request("POST", "/customers", { as, body });
}

async function counts(env: TestApp) {
  const [row] = await env.db.sql<
    { customers: number; companies: number; syncs: number; events: number }[]
  >`select (select count(*)::int from customer) as customers,
      (select count(*)::int from company) as companies,
      (select count(*)::int from external_system_sync) as syncs,
      (select count(*)::int from domain_event) as events`;
  return row;
}

async function syncRows(env: TestApp, remoteId: string) {
  return await env.db.sql<
    {
      sync_status: string;
      error_code: string | null;
      entity_id: number | null;
      business_domain: string;
      trace_id: string | null;
      operation_uid: string;
    }[]
  >`select sync_status, error_code, entity_id, business_domain, trace_id, operation_uid
    from external_system_sync where remote_id = ${remoteId} order by id`;
}

Deno.test("POST /customers creates and imports customers", async (t) => {
  const env = await startTestApp("customers_create");
  try {
    await t.step("a manual create answers 201 with Location and the Customer JSON", async () => {
      const response = await post(env, {
        customer: {
          customerName: "Acme Shanghai",
          businessDomain: GW,
          contactName: "Li Lei",
          contactPhone: "13800000000",
          remark: "first",
        },
        company: { companyName: "Acme Ltd", unifiedSocialCreditCode: USCC, address: "Pudong" },
      });
      assert.equal(response.status, 201);
      const customer = await response.json();
      assert.equal(response.headers.get("location"), `/customers/${customer.id}`);
      assert.match(customer.customerCode, /^MN-\d{8}$/);
      assert.deepEqual(
        { ...customer, id: 0, createdAt: "", updatedAt: "", customerCode: "", company: null },
        {
          id: 0,
          customerCode: "",
          customerName: "Acme Shanghai",
          businessDomain: GW,
          status: "PENDING",
          mergedIntoId: null,
          source: "MANUAL",
          externalCode: null,
          contactName: "Li Lei",
          contactPhone: "13800000000",
          remark: "first",
          company: null,
          operationUid: "U-STD",
          operationName: "Std Agent",
          version: 1,
          createdAt: "",
          updatedAt: "",
        },
      );
      assert.equal(customer.company.companyName, "Acme Ltd");
      assert.match(customer.company.companyCode, /^MN-\d{8}$/);
      assert.ok(!Number.isNaN(Date.parse(customer.createdAt)));
      const [event] = await env.db.sql<{ event_type: string; trace_id: string }[]>`
        select event_type, trace_id from domain_event where aggregate_id = ${customer.id}`;
      assert.equal(event.event_type, "CustomerCreated");
      assert.equal(event.trace_id, response.headers.get("x-trace-id"));
      const [company] = await env.db.sql`
        select unified_social_credit_code, address from company where id = ${customer.company.id}`;
      assert.deepEqual({ ...company }, { unified_social_credit_code: USCC, address: "Pudong" });
    });

    await t.step("status may start ACTIVE, but no other status", async () => {
      const active = await post(env, manual("Starts Active", { status: "ACTIVE" }));
      assert.equal(active.status, 201);
      assert.equal((await active.json()).status, "ACTIVE");
      const body = await problemOf(
        await post(env, manual("Starts Suspended", { status: "SUSPENDED" })),
        400,
        "VALIDATION_FAILED",
      );
      assert.equal(body.errors[0].path, "customer.status");
    });

    await t.step("customerName must be 1 to 200 characters", async () => {
      for (const name of ["", "   ", "x".repeat(201)]) {
        const body = await problemOf(await post(env, manual(name)), 400, "VALIDATION_FAILED");
        assert.deepEqual(body.errors.map((e: { path: string }) => e.path), [
          "customer.customerName",
        ]);
      }
      assert.equal((await post(env, manual("x".repeat(200)))).status, 201);
    });

    await t.step("unknown fields are 400 naming the field", async () => {
      const body = manual("Sneaky");
      (body.customer as Record<string, unknown>).customerCode = "MN-HACKED";
      (body as Record<string, unknown>).version = 9;
      const problem = await problemOf(await post(env, body), 400, "VALIDATION_FAILED");
      assert.deepEqual(
        problem.errors.map((e: { path: string }) => e.path).sort(),
        ["customer.customerCode", "version"],
      );
    });

    await t.step("bounded strings: remark over 2000 characters is 400", async () => {
      const problem = await problemOf(
        await post(env, manual("Long remark", { remark: "r".repeat(2001) })),
        400,
        "VALIDATION_FAILED",
      );
      assert.equal(problem.errors[0].path, "customer.remark");
    });

    await t.step("a non-MANUAL source without remoteId is 400 on remoteId", async () => {
      const body = rbImport("R-NOREMOTE") as Record<string, unknown>;
      delete body.remoteId;
      const problem = await problemOf(await post(env, body), 400, "VALIDATION_FAILED");
      assert.deepEqual(problem.errors.map((e: { path: string }) => e.path), ["remoteId"]);
    });

    await t.step("an invalid credit code is 400 on company.unifiedSocialCreditCode", async () => {
      const body = manual("Bad USCC");
      (body.company as Record<string, unknown>).unifiedSocialCreditCode = "91350100M000100Y44";
      const problem = await problemOf(await post(env, body), 400, "VALIDATION_FAILED");
      assert.deepEqual(
        problem.errors.map((e: { path: string }) => e.path),
        ["company.unifiedSocialCreditCode"],
      );
    });

    await t.step("a bad sourceRefId is one 400 error on company.sourceRefId", async () => {
      const body = rbImport("R-BADREF", { companyRef: "has space" });
      const problem = await problemOf(await post(env, body), 400, "VALIDATION_FAILED");
      assert.deepEqual(
        problem.errors.map((e: { path: string }) => e.path),
        ["company.sourceRefId"],
      );
    });

    let imported: { id: number; company: { id: number } };
    await t.step("an import writes a SUCCESS sync row in the same transaction", async () => {
      const response = await post(env, rbImport("R-1001"));
      assert.equal(response.status, 201);
      imported = await response.json();
      assert.equal((imported as unknown as { customerCode: string }).customerCode, "RB-R-1001");
      const rows = await syncRows(env, "R-1001");
      assert.equal(rows.length, 1);
      assert.equal(rows[0].sync_status, "SUCCESS");
      assert.equal(rows[0].entity_id, imported.id);
      assert.equal(rows[0].trace_id, response.headers.get("x-trace-id"));
      const [company] = await env.db.sql`
        select company_code, source, source_ref_id from company where id = ${imported.company.id}`;
      assert.deepEqual({ ...company }, {
        company_code: "RB-C-R-1001",
        source: "RB",
        source_ref_id: "C-R-1001",
      });
    });

    await t.step("a replay of a successful import answers 200 and writes nothing", async () => {
      const before = await counts(env);
      const response = await post(env, rbImport("R-1001"));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("location"), null);
      assert.equal((await response.json()).id, imported.id);
      assert.deepEqual(await counts(env), before);
    });

    await t.step("a sequence code already taken by an external code is skipped", async () => {
      const [{ n }] = await env.db.sql`select last_value + 1 as n from customer_code_seq`;
      const taken = String(n).padStart(8, "0");
      const holder = await post(env, manual("Holds next code", { externalCode: taken }));
      assert.equal((await holder.json()).customerCode, `MN-${taken}`);
      const response = await post(env, manual("Gets a free code"));
      assert.equal(response.status, 201);
      const customer = await response.json();
      assert.match(customer.customerCode, /^MN-\d{8}$/);
      assert.notEqual(customer.customerCode, `MN-${taken}`);
    });

    await t.step("a company sequence code already given to a company is skipped", async () => {
      const [{ n }] = await env.db.sql`select last_value + 1 as n from company_code_seq`;
      const taken = `MN-${String(n).padStart(8, "0")}`;
      const holder = await post(env, {
        customer: { customerName: "Company code holder", businessDomain: GW },
        company: { companyCode: taken, companyName: "Holder Co" },
      });
      assert.equal(holder.status, 201);
      const response = await post(env, manual("New company, free code"));
      assert.equal(response.status, 201);
      const { company } = await response.json();
      assert.match(company.companyCode, /^MN-\d{8}$/);
      assert.notEqual(company.companyCode, taken);
    });

    await t.step("a duplicate (source, externalCode) is 409 CUSTOMER_DUPLICATED", async () => {
      assert.equal((await post(env, manual("Ext A", { externalCode: "EXT-1" }))).status, 201);
      await problemOf(
        await post(env, manual("Ext B", { externalCode: "EXT-1" })),
        409,
        "CUSTOMER_DUPLICATED",
      );
    });

    await t.step(
      "a failed import rolls back company and customer and leaves one FAILED sync row",
      async () => {
        const before = await counts(env);
        // A new company (new sourceRefId) and a customer whose external code already exists.
        const body = rbImport("R-1001-B", { companyRef: "C-NEW-ROLLBACK" });
        body.customer.externalCode = "R-1001";
        await problemOf(await post(env, body), 409, "CUSTOMER_DUPLICATED");
        const after = await counts(env);
        assert.equal(after.customers, before.customers);
        assert.equal(after.companies, before.companies);
        assert.equal(after.events, before.events);
        assert.equal(after.syncs, before.syncs + 1);
        const [company] = await env.db.sql`
          select id from company where source_ref_id = 'C-NEW-ROLLBACK'`;
        assert.equal(company, undefined);
        const rows = await syncRows(env, "R-1001-B");
        assert.equal(rows.length, 1);
        assert.deepEqual(
          { ...rows[0], trace_id: null },
          {
            sync_status: "FAILED",
            error_code: "CUSTOMER_DUPLICATED",
            entity_id: null,
            business_domain: GW,
            trace_id: null,
            operation_uid: "U-STD",
          },
        );
      },
    );

    await t.step("an invalid import body leaves a FAILED row with VALIDATION_FAILED", async () => {
      const body = rbImport("R-EMPTY-NAME");
      body.customer.customerName = "";
      await problemOf(await post(env, body), 400, "VALIDATION_FAILED");
      const rows = await syncRows(env, "R-EMPTY-NAME");
      assert.deepEqual(rows.map((row) => [row.sync_status, row.error_code]), [
        ["FAILED", "VALIDATION_FAILED"],
      ]);
    });

    await t.step("a company is reused by companyCode and must exist without a name", async () => {
      const first = await (await post(env, manual("Shares Co"))).json();
      const response = await post(env, {
        customer: { customerName: "Second of Co", businessDomain: GW },
        company: { companyCode: first.company.companyCode },
      });
      assert.equal(response.status, 201);
      assert.equal((await response.json()).company.id, first.company.id);
      await problemOf(
        await post(env, {
          customer: { customerName: "Orphan", businessDomain: GW },
          company: { companyCode: "NO-SUCH-CODE" },
        }),
        422,
        "COMPANY_NOT_FOUND",
      );
      // Neither a key nor a name: nothing can be found, so it is the same 422, not a 400.
      await problemOf(
        await post(env, {
          customer: { customerName: "Orphan", businessDomain: GW },
          company: {},
        }),
        422,
        "COMPANY_NOT_FOUND",
      );
    });

    await t.step("a company is upserted by (source, sourceRefId) with a name", async () => {
      const response = await post(env, {
        ...rbImport("R-2002", { companyRef: "C-R-1001" }),
        company: { source: "RB", sourceRefId: "C-R-1001", companyName: "RB Co Renamed" },
      });
      assert.equal(response.status, 201);
      const customer = await response.json();
      assert.equal(customer.company.id, imported.company.id);
      assert.equal(customer.company.companyName, "RB Co Renamed");
      const [company] = await env.db
        .sql`select version from company where id = ${imported.company.id}`;
      assert.equal(company.version, 2);
    });

    await t.step("a credit code held by another company is 409 COMPANY_DUPLICATED", async () => {
      const body = manual("Steals USCC");
      Object.assign(body.company, { companyCode: "NEW-CO-1", unifiedSocialCreditCode: USCC });
      await problemOf(await post(env, body), 409, "COMPANY_DUPLICATED");
      const [company] = await env.db.sql`select id from company where company_code = 'NEW-CO-1'`;
      assert.equal(company, undefined);
    });

    await t.step("creating in a foreign domain is 403 and leaves no trace (§10.2)", async () => {
      await problemOf(
        await post(env, {
          ...manual("Cold one"),
          customer: { customerName: "Cold", businessDomain: COLD },
        }),
        403,
        "FORBIDDEN",
      );
      await problemOf(await post(env, rbImport("R-COLD", { domain: COLD })), 403, "FORBIDDEN");
      assert.equal((await syncRows(env, "R-COLD")).length, 0);
    });

    await t.step("a user mapped to no domain is 403", async () => {
      await problemOf(await post(env, manual("Nobody's"), USERS.nobody), 403, "FORBIDDEN");
    });

    await t.step("two simultaneous creates with one external code: one 201, one 409", async () => {
      const [a, b] = await Promise.all([
        post(env, manual("Race A", { externalCode: "RACE-1" })),
        post(env, manual("Race B", { externalCode: "RACE-1" })),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [201, 409]);
      const loser = a.status === 409 ? a : b;
      assert.equal((await loser.json()).code, "CUSTOMER_DUPLICATED");
      await (a.status === 201 ? a : b).body?.cancel();
      const [row] = await env.db.sql`
        select count(*)::int as n from customer where external_code = 'RACE-1'`;
      assert.equal(row.n, 1);
    });

    await t.step(
      "two simultaneous imports of one remote record: 201 and a 200 replay",
      async () => {
        const [a, b] = await Promise.all([
          post(env, rbImport("R-RACE")),
          post(env, rbImport("R-RACE")),
        ]);
        assert.deepEqual([a.status, b.status].sort(), [200, 201]);
        assert.equal((await a.json()).id, (await b.json()).id);
        const rows = await syncRows(env, "R-RACE");
        assert.deepEqual(rows.map((row) => row.sync_status), ["SUCCESS"]);
      },
    );
  } finally {
    await env.close();
  }
});
