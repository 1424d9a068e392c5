import assert from "node:assert/strict";
import {
  BUILTIN_RULES,
  resolveDomains,
  type RoleDomainRule,
} from "../../src/domain/auth/role_mapping.ts";

const ENABLED = ["BONDED_WAREHOUSING", "COLD_CHAIN", "CROSS_BORDER", "GENERAL_WAREHOUSING"];
const nobody = { roles: [], positions: [], departments: [] };

Deno.test("resolveDomains maps the built-in roles to their domains", () => {
  const std = resolveDomains({ ...nobody, roles: ["ROLE_STD_AGENT"] }, BUILTIN_RULES, ENABLED);
  assert.deepEqual(std.domainCodes, ["GENERAL_WAREHOUSING"]);
  const two = resolveDomains(
    { ...nobody, roles: ["ROLE_COLD_AGENT", "ROLE_BONDED_AGENT"] },
    BUILTIN_RULES,
    ENABLED,
  );
  assert.deepEqual(two.domainCodes, ["BONDED_WAREHOUSING", "COLD_CHAIN"]);
  assert.equal(two.matches.length, 2);
});

Deno.test("resolveDomains grants every enabled domain for ROLE_ADMIN (*)", () => {
  const admin = resolveDomains({ ...nobody, roles: ["ROLE_ADMIN"] }, BUILTIN_RULES, ENABLED);
  assert.deepEqual(admin.domainCodes, ENABLED);
});

Deno.test("resolveDomains grants nothing to unknown roles", () => {
  const none = resolveDomains({ ...nobody, roles: ["ROLE_UNKNOWN"] }, BUILTIN_RULES, ENABLED);
  assert.deepEqual(none, { domainCodes: [], matches: [] });
});

Deno.test("resolveDomains matches positions and departments only on their own match type", () => {
  const rules: RoleDomainRule[] = [
    { matchType: "POSITION", matchValue: "Planner", domainCode: "COLD_CHAIN" },
    { matchType: "DEPARTMENT", matchValue: "42", domainCode: "CROSS_BORDER" },
  ];
  const user = { roles: ["Planner", "42"], positions: ["42"], departments: ["Planner"] };
  assert.deepEqual(resolveDomains(user, rules, ENABLED).domainCodes, []);
  const right = { roles: [], positions: ["Planner"], departments: ["42"] };
  assert.deepEqual(resolveDomains(right, rules, ENABLED).domainCodes, [
    "COLD_CHAIN",
    "CROSS_BORDER",
  ]);
});

Deno.test("resolveDomains never grants a disabled or unknown domain, also through *", () => {
  const rules: RoleDomainRule[] = [
    ...BUILTIN_RULES,
    { matchType: "ROLE", matchValue: "Ghost", domainCode: "NO_SUCH_DOMAIN" },
  ];
  const enabled = ENABLED.filter((code) => code !== "COLD_CHAIN");
  const cold = resolveDomains({ ...nobody, roles: ["ROLE_COLD_AGENT", "Ghost"] }, rules, enabled);
  assert.deepEqual(cold.domainCodes, []);
  assert.equal(cold.matches.length, 2, "the matches are still reported for the debug log");
  const admin = resolveDomains({ ...nobody, roles: ["ROLE_ADMIN"] }, rules, enabled);
  assert.deepEqual(admin.domainCodes, [
    "BONDED_WAREHOUSING",
    "CROSS_BORDER",
    "GENERAL_WAREHOUSING",
  ]);
});

Deno.test("resolveDomains answers each domain once, sorted", () => {
  const rules: RoleDomainRule[] = [
    ...BUILTIN_RULES,
    { matchType: "POSITION", matchValue: "Lead", domainCode: "GENERAL_WAREHOUSING" },
    { matchType: "DEPARTMENT", matchValue: "1", domainCode: "*" },
  ];
  const user = { roles: ["ROLE_STD_AGENT"], positions: ["Lead"], departments: [] };
  assert.deepEqual(resolveDomains(user, rules, ENABLED).domainCodes, ["GENERAL_WAREHOUSING"]);
  const star = { roles: [], positions: [], departments: ["1"] };
  assert.deepEqual(resolveDomains(star, rules, ENABLED).domainCodes, ENABLED);
});
