import type { CustomerSearchOptions } from "../../src/infrastructure/postgres/customer_list_repository.ts";

/**
 * Options that drive `searchCustomers` through each of its plans on a small fixture (ADR 0069):
 * every plan must answer the rows of the plain query.
 */
export const SEARCH_PLANS: Record<string, CustomerSearchOptions> = {
  "sparse: the walk fills the page": { cap: 1000 },
  "sparse: every match collected and sorted": { cap: 1000, walkBudget: () => 2 },
  "sparse: the collection overflows into the dense plan": {
    cap: 1,
    walkBudget: () => 2,
    collectLimit: () => 1,
  },
  "dense: within the cap": { cap: 1000, denseMatches: -1 },
  "dense: the walk fills the page": { cap: 1, denseMatches: -1 },
  "dense: the walk runs out, every match sorted": {
    cap: 1,
    denseMatches: -1,
    walkBudget: () => 2,
  },
};
