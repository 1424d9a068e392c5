import assert from "node:assert/strict";
import {
  type CustomerFilter,
  type CustomerSearchOptions,
  type CustomerSort,
  queryCustomerPage,
  searchCustomers,
} from "../../src/infrastructure/postgres/customer_list_repository.ts";
import type { Queryable, Sql } from "../../src/infrastructure/postgres/database.ts";
import type { ListPosition } from "../../src/shared/list_cursor.ts";
import { EVERY_SORT, insertKeywordFixture, SEARCH_PLANS } from "../support/search_plans.ts";
import { startTestApp } from "../support/test_app.ts";
import { TRICKY_NAMES } from "../support/tricky_names.ts";

const SORTS = EVERY_SORT;

const KEYWORDS = ["%", "_", "100%", "snake_case", "有限公司", "物流", "harbor", "HARBOR", "\\"];

async function offsetWalk(sql: Queryable, filter: CustomerFilter, sort: CustomerSort) {
  const ids: number[] = [];
  for (let offset = 0;; offset += 3) {
    const { items } = await queryCustomerPage(sql, filter, { sort, limit: 3, offset });
    ids.push(...items.map((item) => item.id));
    if (items.length < 3) return ids;
  }
}

async function keysetWalk(
  sql: Sql,
  filter: CustomerFilter,
  sort: CustomerSort,
  options: CustomerSearchOptions,
) {
  const ids: number[] = [];
  let after: ListPosition | undefined;
  for (;;) {
    const page = await searchCustomers(sql, filter, { sort, limit: 3, offset: 0, after }, options);
    ids.push(...page.items.map((item) => item.id));
    if (!page.next) return ids;
    after = page.next;
  }
}

Deno.test(
  "keyword search walked by keyset answers the rows of the offset walk, in every plan",
  async (t) => {
    const env = await startTestApp("customer_keyset_search");
    try {
      const sql = env.deps.db.sql;
      // Each name three times (ties broken by id), some sharing one created_at.
      await insertKeywordFixture(sql, TRICKY_NAMES, 3);
      for (const [plan, options] of Object.entries(SEARCH_PLANS)) {
        await t.step(plan, async () => {
          for (const keyword of [...KEYWORDS, "KS-0"]) {
            for (const sort of SORTS) {
              const filter = { domains: ["GENERAL_WAREHOUSING", "COLD_CHAIN"], keyword };
              const expected = await offsetWalk(sql, filter, sort);
              const label = `${keyword} ${sort.field} ${sort.direction}`;
              assert.deepEqual(await keysetWalk(sql, filter, sort, options), expected, label);
            }
          }
        });
      }
      await t.step("the fixture exercises every keyword", async () => {
        for (const keyword of KEYWORDS) {
          const filter = { domains: ["GENERAL_WAREHOUSING", "COLD_CHAIN"], keyword };
          const ids = await offsetWalk(sql, filter, SORTS[0]);
          assert.ok(ids.length >= 3, keyword);
        }
      });
    } finally {
      await env.close();
    }
  },
);
