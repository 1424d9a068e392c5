import assert from "node:assert/strict";
import { startTestApp } from "../support/test_app.ts";
import { USERS } from "../support/tokens.ts";

const LISTS = ["/customers", "/companies", "/customer-groups", "/external-sync"];

Deno.test(
  "every list caps page * pageSize at 10 000 and points to cursor",
  async (t) => {
    const env = await startTestApp("list_page_depth");
    try {
      for (const list of LISTS) {
        await t.step(`${list}: page 100 of 100 is the deepest page`, async () => {
          const response = await env.request("GET", `${list}?page=100&pageSize=100`, {
            as: USERS.admin,
          });
          assert.equal(response.status, 200, await response.clone().text());
          const body = await response.json();
          assert.deepEqual(body.items, []);
          assert.equal(body.page, 100);
        });

        await t.step(`${list}: one row deeper is 400 VALIDATION_FAILED naming cursor`, async () => {
          for (const query of ["page=101&pageSize=100", "page=10001", "page=5001&pageSize=2"]) {
            const response = await env.request("GET", `${list}?${query}`, { as: USERS.admin });
            assert.equal(response.status, 400, query);
            assert.equal(response.headers.get("content-type"), "application/problem+json");
            const problem = await response.json();
            assert.equal(problem.code, "VALIDATION_FAILED");
            assert.equal(problem.errors.length, 1);
            assert.equal(problem.errors[0].path, "page");
            assert.match(problem.errors[0].message, /at most 10000; use cursor/);
          }
        });
      }

      await t.step("an invalid page is reported as before, not as too deep", async () => {
        const response = await env.request("GET", "/customers?page=0&pageSize=101", {
          as: USERS.admin,
        });
        assert.equal(response.status, 400);
        const paths = (await response.json()).errors.map((error: { path: string }) => error.path);
        assert.deepEqual(paths.sort(), ["page", "pageSize"]);
      });
    } finally {
      await env.close();
    }
  },
);
