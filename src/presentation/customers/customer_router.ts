import { createCustomer } from "../../application/customer/create_customer.ts";
import { findPossibleDuplicates } from "../../application/customer/find_possible_duplicates.ts";
import { recordRejectedCreate } from "../../application/customer/record_rejected_create.ts";
import { exportCustomers } from "../../application/customer/export_customers.ts";
import { getCustomer } from "../../application/customer/get_customer.ts";
import { mergeCustomers } from "../../application/customer/merge_customers.ts";
import { queryCustomers } from "../../application/customer/query_customers.ts";
import { updateCustomer } from "../../application/customer/update_customer.ts";
import { updateCustomerStatus } from "../../application/customer/update_customer_status.ts";
import type { Context } from "hono";
import type { ZodError } from "zod";
import type { Dependencies } from "../../dependencies.ts";
import type { AppEnv } from "../env.ts";
import { parseSort } from "../pagination.ts";
import { validationError } from "../problem.ts";
import { createRouter } from "../router.ts";
import { etag, jsonBytes, parseIfMatch } from "../versioning.ts";
import {
  customerExportStream,
  EXPORT_MEDIA_TYPES,
  exportFormat,
} from "./customer_export_stream.ts";
import {
  createCustomerRoute,
  CUSTOMER_SORT_FIELDS,
  exportCustomersRoute,
  getCustomerRoute,
  listCustomersRoute,
  mergeCustomerRoute,
  possibleDuplicatesRoute,
  updateCustomerRoute,
  updateCustomerStatusRoute,
} from "./customer_routes.ts";

type SortField = typeof CUSTOMER_SORT_FIELDS[number];

/** /customers: create or import, list, possible duplicates, detail, update, status, merge. */
export function customerRouter(deps: Dependencies) {
  return createRouter()
    .openapi(createCustomerRoute, async (c) => {
      const { customer, created } = await createCustomer(deps, {
        user: c.get("user"),
        input: c.req.valid("json"),
      });
      c.header("ETag", etag(customer.version));
      if (!created) return c.json(customer, 200);
      c.header("Location", `/customers/${customer.id}`);
      return c.json(customer, 201);
    }, rejectCreateBody(deps) as never)
    .openapi(listCustomersRoute, async (c) => {
      const { sort, keyword, ...query } = c.req.valid("query");
      const page = await queryCustomers(deps, {
        user: c.get("user"),
        ...query,
        keyword: keyword?.trim() || undefined,
        sort: parseSort<SortField>(sort),
      });
      return c.json(page, 200);
    })
    // Before /customers/{id}: Hono tries routes in order, and the id route would answer 400.
    .openapi(possibleDuplicatesRoute, async (c) => {
      const result = await findPossibleDuplicates(deps, {
        user: c.get("user"),
        ...c.req.valid("query"),
      });
      return c.json(result, 200);
    })
    // Before /customers/{id}, which would read "export" as an id.
    .openapi(exportCustomersRoute, async (c) => {
      const { sort, keyword, ...query } = c.req.valid("query");
      const batches = await exportCustomers(deps, {
        user: c.get("user"),
        ...query,
        keyword: keyword?.trim() || undefined,
        sort: parseSort<SortField>(sort),
      });
      const format = exportFormat(c.req.header("accept"));
      const stream = customerExportStream(batches, format, { traceId: c.get("traceId") });
      return c.body(stream, 200, {
        "content-type": EXPORT_MEDIA_TYPES[format],
        "cache-control": "no-store",
        ...(format === "csv"
          ? { "content-disposition": 'attachment; filename="customers.csv"' }
          : {}),
      }) as never;
    })
    .openapi(getCustomerRoute, async (c) => {
      const view = await getCustomer(deps, { user: c.get("user"), id: c.req.valid("param").id });
      return jsonBytes(c, view);
    })
    .openapi(updateCustomerRoute, async (c) => {
      const detail = await updateCustomer(deps, {
        user: c.get("user"),
        id: c.req.valid("param").id,
        ifMatch: parseIfMatch(c.req.valid("header")["if-match"]),
        changes: c.req.valid("json"),
      });
      c.header("ETag", etag(detail.version));
      return c.json(detail, 200);
    })
    .openapi(updateCustomerStatusRoute, async (c) => {
      const body = c.req.valid("json");
      const detail = await updateCustomerStatus(deps, {
        user: c.get("user"),
        id: c.req.valid("param").id,
        ifMatch: parseIfMatch(c.req.valid("header")["if-match"]),
        status: body.status,
        reason: body.reason || undefined,
      });
      c.header("ETag", etag(detail.version));
      return c.json(detail, 200);
    })
    .openapi(mergeCustomerRoute, async (c) => {
      const detail = await mergeCustomers(deps, {
        user: c.get("user"),
        targetId: c.req.valid("param").id,
        sourceId: c.req.valid("json").sourceCustomerId,
        ifMatch: parseIfMatch(c.req.valid("header")["if-match"]),
      });
      c.header("ETag", etag(detail.version));
      return c.json(detail, 200);
    });
}

/**
 * The validation hook of POST /customers: a rejected import body leaves the FAILED sync row the
 * contract asks for, when the user holds its (valid) business domain; else 403 (contract §10.2).
 */
function rejectCreateBody(deps: Dependencies) {
  return async (
    result: { success: boolean; target: string; data?: unknown; error?: ZodError },
    c: Context<AppEnv>,
  ): Promise<undefined> => {
    if (result.success) return undefined;
    const error = validationError(result.error!, result.target);
    if (result.target === "json") {
      await recordRejectedCreate(deps, { user: c.get("user"), input: result.data, error });
    }
    throw error;
  };
}
