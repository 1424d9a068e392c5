import assert from "node:assert/strict";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

// Issue 13: GET /external-sync no longer counts the whole table on every page: `total` is exact
// up to 1 000 and then capped, as for customers (contract §5).

Deno.test("the sync list caps its total", async (t) => {
  const env = await startTestApp("sync_list_count", { redis: false });
  try {
    await env.db.sql`
      insert into external_system_sync (entity_type, source, remote_id, business_domain,
        sync_status, error_code)
      select 'CUSTOMER', 'RB', 'R-' || n, 'GENERAL_WAREHOUSING', 'FAILED', 'NOT_FOUND'
      from generate_series(1, 1100) as n`;
    await env.db.sql`
      insert into external_system_sync (entity_type, source, remote_id, business_domain,
        sync_status, error_code)
      select 'CUSTOMER', 'RB', 'C-' || n, 'COLD_CHAIN', 'FAILED', 'NOT_FOUND'
      from generate_series(1, 7) as n`;

    await t.step("more than 1 000 matches: total 1000 and totalIsCapped", async () => {
      const response = await env.request("GET", "/external-sync?pageSize=5", { as: USERS.std });
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(body.items.length, 5);
      assert.equal(body.total, 1000);
      assert.equal(body.totalIsCapped, true);
    });

    await t.step("fewer: exact, also past the last page", async () => {
      for (const page of [1, 9]) {
        const response = await env.request("GET", `/external-sync?pageSize=5&page=${page}`, {
          as: USERS.cold,
        });
        const body = await response.json();
        assert.equal(body.total, 7);
        assert.equal(body.totalIsCapped, false);
        assert.equal(body.items.length, page === 1 ? 5 : 0);
      }
    });
  } finally {
    await env.close();
  }
});
