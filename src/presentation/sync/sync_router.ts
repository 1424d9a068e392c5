import {
  importExternalCustomers,
  MAX_HTTP_IMPORT_ROWS,
} from "../../application/sync/import_external_customers.ts";
import { listSyncRecords } from "../../application/sync/list_sync_records.ts";
import type { Dependencies } from "../../dependencies.ts";
import { parseSort } from "../pagination.ts";
import { createRouter } from "../router.ts";
import { importRoute, listSyncRecordsRoute } from "./sync_routes.ts";

/** Batch transactions in flight per HTTP import: leaves pool connections for other requests. */
function httpConcurrency(deps: Dependencies): number {
  return Math.max(1, Math.min(4, deps.config.databasePoolMax - 2));
}

/** /external-sync: the sync records and the HTTP import. */
export function syncRouter(deps: Dependencies) {
  return createRouter()
    .openapi(importRoute, async (c) => {
      const body = c.req.valid("json");
      const summary = await importExternalCustomers(deps, {
        user: c.get("user"),
        source: body.source,
        remoteIds: body.remoteIds,
        updatedSince: body.updatedSince ? new Date(body.updatedSince) : undefined,
        maxRows: MAX_HTTP_IMPORT_ROWS,
        concurrency: httpConcurrency(deps),
        oneInFlightPerUser: true,
      });
      return c.json(summary, 200);
    })
    .openapi(listSyncRecordsRoute, async (c) => {
      const { sort, ...query } = c.req.valid("query");
      const page = await listSyncRecords(deps, {
        user: c.get("user"),
        ...query,
        direction: parseSort(sort).direction,
      });
      return c.json(page, 200);
    });
}
