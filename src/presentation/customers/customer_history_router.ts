import { getCustomerHistory } from "../../application/customer/get_customer_history.ts";
import type { Dependencies } from "../../dependencies.ts";
import { createRouter } from "../router.ts";
import { customerHistoryRoute } from "./customer_history_routes.ts";

/** GET /customers/{id}/history. */
export function customerHistoryRouter(deps: Dependencies) {
  return createRouter().openapi(customerHistoryRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await getCustomerHistory(deps, {
      user: c.get("user"),
      id: c.req.valid("param").id,
      cursor: query.cursor,
      pageSize: query.pageSize,
    });
    return c.json(page, 200);
  });
}
