import assert from "node:assert/strict";
import { createTestMysqlDatabase } from "../support/mysql.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

// Contract §10.1: a company is shared master data, visible to a user through a customer of one
// of the user's domains. Every attempt below comes from a user of another business line; an
// admin reads the company back unchanged.

const GW = "GENERAL_WAREHOUSING";
const COLD = "COLD_CHAIN";
const USCC = "91350100M000100Y43";

interface CompanyJson {
  id: number;
  companyCode: string;
  companyName: string;
  address: string | null;
  contactName: string | null;
  unifiedSocialCreditCode: string | null;
  version: number;
}

function post(env: TestApp, body: unknown, as: typeof USERS[keyof typeof USERS] = USERS.std) {
  return env.request("POST", "/customers", { as, body });
}

async function companyAsAdmin(env: TestApp, id: number): Promise<CompanyJson> {
  const response = await env.request("GET", `/companies/${id}`, { as: USERS.admin });
  assert.equal(response.status, 200);
  return await response.json();
}

/** The problem body, asserted to name nothing of the hidden company. */
async function problemOf(response: Response, status: number, code: string, hidden: CompanyJson) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}`);
  const body = await response.json();
  assert.equal(body.code, code);
  const text = JSON.stringify({ detail: body.detail, errors: body.errors });
  for (const secret of [hidden.companyName, hidden.address!, hidden.contactName!, USCC]) {
    assert.ok(!text.includes(secret), `${text} names ${secret}`);
  }
  assert.ok(!text.includes(`company ${hidden.id}`), text);
  return body;
}

Deno.test(
  "companies of other business lines can neither be read nor changed",
  async (t) => {
    const source = await createTestMysqlDatabase();
    const env = await startTestApp("shared_companies", { env: { EXTERNAL_MYSQL_URL: source.url } });
    try {
      const created = await post(env, {
        customer: { customerName: "Cold customer", businessDomain: COLD },
        company: {
          companyName: "Cold Secret Co",
          unifiedSocialCreditCode: USCC,
          address: "1 Hidden Street",
          contactName: "Ms Private",
        },
      }, USERS.cold);
      assert.equal(created.status, 201);
      const coldCompany = await companyAsAdmin(env, (await created.json()).company.id);
      const coldRb = await post(env, {
        customer: {
          customerName: "Cold RB",
          businessDomain: COLD,
          source: "RB",
          externalCode: "COLD-RB-1",
        },
        company: {
          source: "RB",
          sourceRefId: "SHARED-1",
          companyName: "Shared Source Co",
          address: "2 Cold Road",
          contactName: "Mr Cold",
        },
        remoteId: "COLD-RB-1",
      }, USERS.cold);
      assert.equal(coldRb.status, 201);
      const sharedCompany = await companyAsAdmin(env, (await coldRb.json()).company.id);

      await t.step("a hidden company's code is not found without a name (422)", async () => {
        await problemOf(
          await post(env, {
            customer: { customerName: "Probe", businessDomain: GW },
            company: { companyCode: coldCompany.companyCode },
          }),
          422,
          "COMPANY_NOT_FOUND",
          coldCompany,
        );
        assert.deepEqual(await companyAsAdmin(env, coldCompany.id), coldCompany);
      });

      await t.step("a hidden company's code with a name is 409 naming nothing of it", async () => {
        await problemOf(
          await post(env, {
            customer: { customerName: "Overwrite", businessDomain: GW },
            company: { companyCode: coldCompany.companyCode, companyName: "Taken Over" },
          }),
          409,
          "COMPANY_DUPLICATED",
          coldCompany,
        );
        assert.deepEqual(await companyAsAdmin(env, coldCompany.id), coldCompany);
        const [row] = await env.db.sql`
        select count(*)::int as n from customer where customer_name = 'Overwrite'`;
        assert.equal(row.n, 0);
      });

      await t.step("a hidden company's credit code is not a way in either", async () => {
        await problemOf(
          await post(env, {
            customer: { customerName: "By USCC", businessDomain: GW },
            company: { unifiedSocialCreditCode: USCC },
          }),
          422,
          "COMPANY_NOT_FOUND",
          coldCompany,
        );
        await problemOf(
          await post(env, {
            customer: { customerName: "By USCC named", businessDomain: GW },
            company: { unifiedSocialCreditCode: USCC, companyName: "USCC Grab" },
          }),
          409,
          "COMPANY_DUPLICATED",
          coldCompany,
        );
        assert.deepEqual(await companyAsAdmin(env, coldCompany.id), coldCompany);
      });

      await t.step("a visible company cannot take a hidden company's credit code", async () => {
        const own = await post(env, {
          customer: { customerName: "Std own", businessDomain: GW },
          company: { companyName: "Std Own Co" },
        });
        assert.equal(own.status, 201);
        const ownCompany = (await own.json()).company;
        await problemOf(
          await post(env, {
            customer: { customerName: "Std own 2", businessDomain: GW },
            company: {
              companyCode: ownCompany.companyCode,
              companyName: "Std Own Co",
              unifiedSocialCreditCode: USCC,
            },
          }),
          409,
          "COMPANY_DUPLICATED",
          coldCompany,
        );
        assert.deepEqual(await companyAsAdmin(env, coldCompany.id), coldCompany);
      });

      await t.step(
        "the source key links a hidden company but leaves its fields alone",
        async () => {
          const response = await post(env, {
            customer: {
              customerName: "Std RB",
              businessDomain: GW,
              source: "RB",
              externalCode: "STD-RB-1",
            },
            company: {
              source: "RB",
              sourceRefId: "SHARED-1",
              companyName: "Hijacked Name",
              address: "Attacker Street",
            },
            remoteId: "STD-RB-1",
          });
          assert.equal(response.status, 201);
          const customer = await response.json();
          assert.equal(customer.company.id, sharedCompany.id);
          assert.equal(customer.company.companyName, sharedCompany.companyName);
          assert.deepEqual(await companyAsAdmin(env, sharedCompany.id), sharedCompany);
        },
      );

      await t.step("once shared, not even its first domain may change the company", async () => {
        const response = await post(env, {
          customer: { customerName: "Cold again", businessDomain: COLD },
          company: { companyCode: sharedCompany.companyCode, companyName: "Cold Rename" },
        }, USERS.cold);
        assert.equal(response.status, 201);
        assert.equal((await response.json()).company.companyName, sharedCompany.companyName);
        assert.deepEqual(await companyAsAdmin(env, sharedCompany.id), sharedCompany);
      });

      await t.step("a user holding every customer's domain still updates it", async () => {
        const response = await post(env, {
          customer: { customerName: "Admin's", businessDomain: GW },
          company: { companyCode: sharedCompany.companyCode, companyName: "Admin Rename" },
        }, USERS.admin);
        assert.equal(response.status, 201);
        const after = await companyAsAdmin(env, sharedCompany.id);
        assert.equal(after.companyName, "Admin Rename");
        assert.equal(after.version, sharedCompany.version + 1);
        sharedCompany.companyName = after.companyName;
        sharedCompany.version = after.version;
        Object.assign(sharedCompany, {
          updatedAt: (after as unknown as { updatedAt: string }).updatedAt,
        });
      });

      await t.step("an import of another domain links by source key without renaming", async () => {
        await source.exec(
          `insert into rb_customer (remote_id, customer_name, company_name, company_ref_id,
          business_domain, updated_at) values (?, ?, ?, ?, ?, now())`,
          ["STD-IMPORT-1", "Imported std", "Import Rename", "SHARED-1", GW],
        );
        const response = await env.request("POST", "/external-sync/import", {
          as: USERS.std,
          body: { source: "RB", remoteIds: ["STD-IMPORT-1"] },
        });
        assert.equal(response.status, 200);
        const summary = await response.json();
        assert.equal(summary.imported, 1, JSON.stringify(summary));
        assert.deepEqual(await companyAsAdmin(env, sharedCompany.id), sharedCompany);
      });

      await t.step("a replay of a record imported into a hidden domain names nothing", async () => {
        const response = await post(env, {
          customer: {
            customerName: "Replay probe",
            businessDomain: GW,
            source: "RB",
            externalCode: "PROBE-X",
          },
          company: { source: "RB", sourceRefId: "SHARED-1" },
          remoteId: "COLD-RB-1",
        });
        assert.equal(response.status, 403);
        const body = await response.json();
        assert.ok(!body.detail.includes("COLD-RB-1"), body.detail);
      });
    } finally {
      await env.close();
      await source.drop();
    }
  },
);
