import assert from "node:assert/strict";
import { createRoleMappingGateway } from "../../src/infrastructure/auth/role_mapping_gateway.ts";
import { configureLogging } from "../../src/shared/logger.ts";
import { createTestDatabase } from "../support/database.ts";

const planner = {
  dingUserId: "U-PLAN",
  name: "Planner",
  unionId: "abPLANNERyz",
  roles: ["ROLE_STD_AGENT"],
  positions: ["Cold Planner"],
  departments: [],
};

Deno.test("role mapping rows take effect after the cache window", async (t) => {
  const db = await createTestDatabase("role_mapping_gateway");
  let clock = 1_000_000;
  const gateway = createRoleMappingGateway(db.sql, { cacheSeconds: 30, now: () => clock });
  try {
    await t.step("a new row is not seen inside the window", async () => {
      assert.deepEqual((await gateway.currentUser(planner)).domainCodes, ["GENERAL_WAREHOUSING"]);
      await db.sql`insert into role_domain_mapping (match_type, match_value, domain_code)
        values ('POSITION', 'Cold Planner', 'COLD_CHAIN')`;
      clock += 29_000;
      assert.deepEqual((await gateway.currentUser(planner)).domainCodes, ["GENERAL_WAREHOUSING"]);
    });

    await t.step("and is seen once the window has passed", async () => {
      clock += 2_000;
      assert.deepEqual((await gateway.currentUser(planner)).domainCodes, [
        "COLD_CHAIN",
        "GENERAL_WAREHOUSING",
      ]);
    });

    await t.step("the chain of matches is logged at debug, union id masked", async () => {
      const lines: string[] = [];
      configureLogging({ level: "debug", sink: (line) => lines.push(line) });
      try {
        await gateway.currentUser(planner);
      } finally {
        configureLogging({ level: "error", sink: (line) => console.log(line) });
      }
      const line = lines.map((text) => JSON.parse(text)).find((entry) =>
        entry.msg === "role mapping resolved"
      );
      assert.deepEqual(line?.matches, [
        "ROLE:ROLE_STD_AGENT->GENERAL_WAREHOUSING",
        "POSITION:Cold Planner->COLD_CHAIN",
      ]);
      assert.ok(lines.every((text) => !text.includes("abPLANNERyz")));
    });
  } finally {
    await db.drop();
  }
});
