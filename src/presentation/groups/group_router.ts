import { createCustomerGroup } from "../../application/group/create_customer_group.ts";
import { getCustomerGroup } from "../../application/group/get_customer_group.ts";
import { queryCustomerGroups } from "../../application/group/query_customer_groups.ts";
import { replaceGroupMembers } from "../../application/group/replace_group_members.ts";
import type { Dependencies } from "../../dependencies.ts";
import { parseSort } from "../pagination.ts";
import { createRouter } from "../router.ts";
import { etag, jsonBytes, parseIfMatch } from "../versioning.ts";
import {
  createGroupRoute,
  getGroupRoute,
  GROUP_SORT_FIELDS,
  listGroupsRoute,
  replaceMembersRoute,
} from "./group_routes.ts";

/** /customer-groups: create, list, detail, member replacement. */
export function groupRouter(deps: Pick<Dependencies, "db" | "cache" | "config">) {
  return createRouter()
    .openapi(createGroupRoute, async (c) => {
      const group = await createCustomerGroup(deps, {
        user: c.get("user"),
        ...c.req.valid("json"),
      });
      return c.json(group, 201, {
        Location: `/customer-groups/${group.id}`,
        ETag: etag(group.version),
      });
    })
    .openapi(listGroupsRoute, async (c) => {
      const { sort, ...query } = c.req.valid("query");
      const page = await queryCustomerGroups(deps, {
        user: c.get("user"),
        ...query,
        sort: parseSort<typeof GROUP_SORT_FIELDS[number]>(sort),
      });
      return c.json(page, 200);
    })
    .openapi(getGroupRoute, async (c) => {
      const view = await getCustomerGroup(deps, {
        user: c.get("user"),
        id: c.req.valid("param").id,
      });
      return jsonBytes(c, view);
    })
    .openapi(replaceMembersRoute, async (c) => {
      const group = await replaceGroupMembers(deps, {
        user: c.get("user"),
        id: c.req.valid("param").id,
        customerIds: c.req.valid("json").customerIds,
        ifMatch: parseIfMatch(c.req.valid("header")["if-match"]),
      });
      return c.json(group, 200, { ETag: etag(group.version) });
    });
}
