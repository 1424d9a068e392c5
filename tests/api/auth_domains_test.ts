import assert from "node:assert/strict";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const ALL = ["BONDED_WAREHOUSING", "COLD_CHAIN", "CROSS_BORDER", "GENERAL_WAREHOUSING"];

Deno.test("GET /auth/me and role-to-domain mapping", async (t) => {
  const env = await startTestApp("auth_domains");
  const domainsOf = async (user: Parameters<typeof env.request>[2]) => {
    const response = await env.request("GET", "/auth/me", user);
    assert.equal(response.status, 200);
    return (await response.json()).domainCodes;
  };
  const planner = { dingUserId: "U-PLAN", name: "Planner", positions: ["Cold Planner"] };
  const exporter = { dingUserId: "U-EXP", name: "Exporter", departments: ["4242"] };
  const auditor = { dingUserId: "U-AUD", name: "Auditor", roles: ["Auditor"] };
  try {
    await t.step("answers the current user with the domains of the built-in roles", async () => {
      const response = await env.request("GET", "/auth/me", {
        as: { ...USERS.cold, unionId: "un-cold-1", positions: ["P"], departments: ["9"] },
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        dingUserId: "U-COLD",
        name: "Cold Agent",
        unionId: "un-cold-1",
        roles: ["ROLE_COLD_AGENT"],
        positions: ["P"],
        departments: ["9"],
        domainCodes: ["COLD_CHAIN"],
      });
      assert.deepEqual(await domainsOf({ as: USERS.admin }), ALL);
    });

    await t.step("a user whose roles map to nothing gets 200 with no domains", async () => {
      assert.deepEqual(await domainsOf({ as: USERS.nobody }), []);
    });

    await t.step("a user whose roles map to nothing is 403 FORBIDDEN on data routes", async () => {
      for (const path of ["/customers", "/companies", "/customer-groups", "/external-sync"]) {
        const response = await env.request("GET", path, { as: USERS.nobody });
        assert.equal(response.status, 403, path);
        assert.equal(response.headers.get("content-type"), "application/problem+json");
        assert.equal((await response.json()).code, "FORBIDDEN", path);
      }
      const own = await env.request("GET", "/customers", { as: USERS.std });
      assert.equal(own.status, 200);
      await own.body?.cancel();
      const foreign = await env.request("GET", "/customers?businessDomain=COLD_CHAIN", {
        as: USERS.std,
      });
      assert.equal(foreign.status, 403);
      assert.equal((await foreign.json()).code, "FORBIDDEN");
    });

    await t.step("a POSITION row grants its domain without a restart", async () => {
      assert.deepEqual(await domainsOf({ as: planner }), []);
      await env.db.sql`insert into role_domain_mapping (match_type, match_value, domain_code)
        values ('POSITION', 'Cold Planner', 'COLD_CHAIN')`;
      assert.deepEqual(await domainsOf({ as: planner }), ["COLD_CHAIN"]);
    });

    await t.step("a DEPARTMENT row grants its domain without a restart", async () => {
      assert.deepEqual(await domainsOf({ as: exporter }), []);
      await env.db.sql`insert into role_domain_mapping (match_type, match_value, domain_code)
        values ('DEPARTMENT', '4242', 'CROSS_BORDER')`;
      assert.deepEqual(await domainsOf({ as: exporter }), ["CROSS_BORDER"]);
    });

    await t.step("a * row grants every enabled domain", async () => {
      await env.db.sql`insert into role_domain_mapping (match_type, match_value, domain_code)
        values ('ROLE', 'Auditor', '*')`;
      assert.deepEqual(await domainsOf({ as: auditor }), ALL);
    });

    await t.step("a DISABLED domain is granted to nobody, not even through *", async () => {
      await env.db.sql`update business_domain set status = 'DISABLED' where code = 'CROSS_BORDER'`;
      const enabled = ALL.filter((code) => code !== "CROSS_BORDER");
      assert.deepEqual(await domainsOf({ as: exporter }), []);
      assert.deepEqual(await domainsOf({ as: auditor }), enabled);
      assert.deepEqual(await domainsOf({ as: USERS.admin }), enabled);
      await env.db.sql`update business_domain set status = 'ENABLED' where code = 'CROSS_BORDER'`;
      assert.deepEqual(await domainsOf({ as: exporter }), ["CROSS_BORDER"]);
    });

    await t.step("a deleted row stops granting its domain", async () => {
      await env.db.sql`delete from role_domain_mapping where match_value = 'Cold Planner'`;
      assert.deepEqual(await domainsOf({ as: planner }), []);
    });
  } finally {
    await env.close();
  }
});
