import assert from "node:assert/strict";
import { createRoleMappingGateway } from "../../src/infrastructure/auth/role_mapping_gateway.ts";
import { configureLogging } from "../../src/shared/logger.ts";
import { createTestDatabase } from "../support/database.ts";

const user = (dingUserId: string) => ({
  dingUserId,
  name: dingUserId,
  unionId: `union-secret-${dingUserId}`,
  roles: ["ROLE_COLD_AGENT"],
  positions: [],
  departments: [],
});

Deno.test(
  "the role mapping chain is logged at info once per user per cache period",
  async () => {
    const db = await createTestDatabase("role_mapping_log");
    let clock = 1_000_000;
    const gateway = createRoleMappingGateway(db.sql, { cacheSeconds: 30, now: () => clock });
    const lines: string[] = [];
    configureLogging({ level: "info", sink: (line) => lines.push(line) });
    const applied = () =>
      lines.map((text) => JSON.parse(text)).filter((entry) => entry.msg === "role mapping applied");
    try {
      await gateway.currentUser(user("U-A"));
      await gateway.currentUser(user("U-A"));
      await gateway.currentUser(user("U-B"));
      clock += 10_000;
      await gateway.currentUser(user("U-A"));
      assert.deepEqual(applied().map((entry) => entry.user_id), ["U-A", "U-B"]);
      assert.equal(applied()[0].level, "info");
      assert.deepEqual(applied()[0].matches, ["ROLE:ROLE_COLD_AGENT->COLD_CHAIN"]);
      assert.deepEqual(applied()[0].domainCodes, ["COLD_CHAIN"]);

      clock += 21_000; // the cache period is over: the mapping is reloaded and logged again
      await gateway.currentUser(user("U-A"));
      assert.deepEqual(applied().map((entry) => entry.user_id), ["U-A", "U-B", "U-A"]);
      assert.ok(lines.every((text) => !text.includes("union-secret")), "no union id in the log");
    } finally {
      configureLogging({ level: "error", sink: (line) => console.log(line) });
      await db.drop();
    }
  },
);
