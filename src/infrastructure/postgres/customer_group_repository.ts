import type { MemberCandidate } from "../../domain/customer/assign_to_group.ts";
import type {
  CustomerGroup,
  GroupMember,
  NewCustomerGroup,
} from "../../domain/group/customer_group.ts";
import { AppError } from "../../shared/errors.ts";
import type { ListPosition } from "../../shared/list_cursor.ts";
import type { Queryable } from "./database.ts";
import { isUniqueViolation } from "./errors.ts";
import { likePattern } from "./company_repository.ts";
import { afterPosition, sliceNext, sortKeyText } from "./keyset.ts";

interface GroupRow {
  id: number;
  group_name: string;
  business_domain: string;
  max_member: number;
  description: string | null;
  member_count: number;
  operation_uid: string;
  operation_name: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

function toGroup(row: GroupRow): CustomerGroup {
  return {
    id: row.id,
    groupName: row.group_name,
    businessDomain: row.business_domain,
    maxMember: row.max_member,
    description: row.description,
    memberCount: Number(row.member_count),
    operationUid: row.operation_uid,
    operationName: row.operation_name,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The operator recorded on writes. */
export interface Operator {
  uid: string;
  name: string;
}

/** Inserts a group; 409 GROUP_DUPLICATED when its name is taken in its domain. */
export async function insertCustomerGroup(
  tx: Queryable,
  group: NewCustomerGroup,
  operator: Operator,
): Promise<CustomerGroup> {
  try {
    const [row] = await tx<GroupRow[]>`
      insert into customer_group (group_name, business_domain, max_member, description,
        operation_uid, operation_name)
      values (${group.groupName}, ${group.businessDomain}, ${group.maxMember},
        ${group.description}, ${operator.uid}, ${operator.name})
      returning *, 0 as member_count`;
    return toGroup(row);
  } catch (error) {
    if (isUniqueViolation(error, "customer_group_domain_name_key")) {
      throw new AppError(
        "GROUP_DUPLICATED",
        `a group named ${group.groupName} already exists in ${group.businessDomain}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** A group with its member count, or undefined. */
export async function findCustomerGroup(
  sql: Queryable,
  id: number,
): Promise<CustomerGroup | undefined> {
  const [row] = await sql<GroupRow[]>`
    select g.*, (select count(*) from customer_group_member m where m.group_id = g.id)
      as member_count
    from customer_group g where g.id = ${id}`;
  return row ? toGroup(row) : undefined;
}

/**
 * Locks the group row (`select ... for update`) for the rest of the transaction, so concurrent
 * member replacements of one group run one after the other and never mix. Only a group of one of
 * the given domains is locked and answered (ADR 0093).
 */
export async function lockCustomerGroup(
  tx: Queryable,
  id: number,
  domains: readonly string[],
): Promise<CustomerGroup | undefined> {
  const [row] = await tx<GroupRow[]>`
    select g.*, 0 as member_count from customer_group g
    where g.id = ${id} and g.business_domain = any(${domains as string[]}::text[])
    for update`;
  return row ? toGroup(row) : undefined;
}

/** All members of a group with their code, name and status, by customer id. */
export async function listGroupMembers(sql: Queryable, groupId: number): Promise<GroupMember[]> {
  const rows = await sql<
    { customer_id: number; customer_code: string; customer_name: string; status: string }[]
  >`
    select c.id as customer_id, c.customer_code, c.customer_name, c.status
    from customer_group_member m join customer c on c.id = m.customer_id
    where m.group_id = ${groupId}
    order by c.id`;
  return rows.map((row) => ({
    customerId: row.customer_id,
    customerCode: row.customer_code,
    customerName: row.customer_name,
    status: row.status,
  }));
}

/**
 * The customers of the given ids that exist in one of the given domains, share-locked until the
 * transaction ends, so a concurrent domain move or termination waits for the replacement (and
 * then sees its rows). Customers of other domains are neither locked nor answered (ADR 0093).
 */
export async function lockMemberCandidates(
  tx: Queryable,
  ids: readonly number[],
  domains: readonly string[],
): Promise<MemberCandidate[]> {
  if (ids.length === 0) return [];
  const rows = await tx<{ id: number; business_domain: string; status: string }[]>`
    select id, business_domain, status from customer
    where id = any(${ids as number[]}::bigint[])
      and business_domain = any(${domains as string[]}::text[])
    order by id
    for share`;
  return rows.map((row) => ({
    id: row.id,
    businessDomain: row.business_domain,
    status: row.status as MemberCandidate["status"],
  }));
}

/**
 * Replaces the members: one set-based DELETE of those not kept and one set-based INSERT of the
 * new ones (`unnest`), members kept keep their created_at. Answers the removed and added ids.
 */
export async function replaceMembers(
  tx: Queryable,
  groupId: number,
  customerIds: readonly number[],
  operator: Operator,
): Promise<{ added: number[]; removed: number[] }> {
  const ids = customerIds as number[];
  const removed = await tx<{ customer_id: number }[]>`
    delete from customer_group_member
    where group_id = ${groupId} and customer_id <> all(${ids}::bigint[])
    returning customer_id`;
  // Kept members are skipped before the insert: a speculative insert that conflicts costs about
  // as much as one that succeeds (ADR 0064).
  const added = await tx<{ customer_id: number }[]>`
    insert into customer_group_member (group_id, customer_id, operation_uid)
    select ${groupId}, id, ${operator.uid} from unnest(${ids}::bigint[]) as id
    where id not in (select customer_id from customer_group_member where group_id = ${groupId})
    on conflict (group_id, customer_id) do nothing
    returning customer_id`;
  const ascending = (a: number, b: number) => a - b;
  return {
    added: added.map((row) => row.customer_id).sort(ascending),
    removed: removed.map((row) => row.customer_id).sort(ascending),
  };
}

/** Bumps the group's version and records the operator; answers the group with its count. */
export async function touchCustomerGroup(
  tx: Queryable,
  id: number,
  operator: Operator,
): Promise<CustomerGroup> {
  const [row] = await tx<GroupRow[]>`
    update customer_group g
    set version = version + 1, updated_at = now(), operation_uid = ${operator.uid},
      operation_name = ${operator.name}
    where g.id = ${id}
    returning g.*, (select count(*) from customer_group_member m where m.group_id = g.id)
      as member_count`;
  return toGroup(row);
}

/** Filters of the group list; `businessDomains` is never empty (the guard sees to it). */
export interface GroupListFilter {
  businessDomains: string[];
  keyword?: string;
  sort: { field: "createdAt" | "groupName"; direction: "asc" | "desc" };
  limit: number;
  offset: number;
  /** Start after this position of the sort order (a cursor) instead of at `offset`. */
  after?: ListPosition;
}

const SORT_COLUMNS = { createdAt: "created_at", groupName: "group_name" } as const;

/** One page of groups with member counts, where the next starts, and the filter's total. */
export async function listCustomerGroups(
  sql: Queryable,
  filter: GroupListFilter,
): Promise<{ items: CustomerGroup[]; next: ListPosition | null; total: number }> {
  const where = sql`
    where g.business_domain = any(${filter.businessDomains})
    ${filter.keyword ? sql`and g.group_name ilike ${likePattern(filter.keyword)}` : sql``}`;
  const name = `g.${SORT_COLUMNS[filter.sort.field]}`;
  const kind = filter.sort.field === "createdAt" ? "timestamp" : "text";
  const direction = filter.sort.direction === "desc" ? sql`desc` : sql`asc`;
  const after = afterPosition(sql, {
    column: name,
    idColumn: "g.id",
    kind,
    direction: filter.sort.direction,
  }, filter.after);
  const [rows, [count]] = await Promise.all([
    sql<(GroupRow & { cursor_key: string })[]>`
      select g.*, (select count(*) from customer_group_member m where m.group_id = g.id)
        as member_count, ${sortKeyText(sql, name, kind)} as cursor_key
      from customer_group g ${where} and ${after}
      order by ${sql(name)} ${direction}, g.id ${direction}
      limit ${filter.limit + 1} offset ${filter.offset}`,
    sql<{ total: number }[]>`select count(*)::int as total from customer_group g ${where}`,
  ]);
  const { rows: kept, next } = sliceNext(rows, filter.limit);
  return { items: kept.map(toGroup), next, total: count.total };
}

/**
 * Removes the customer from the groups of a domain (it moved away), bumping those groups'
 * version and operator; answers their ids.
 */
export async function removeFromGroupsOfDomain(
  tx: Queryable,
  customerId: number,
  domain: string,
  operator: { uid: string; name: string },
): Promise<number[]> {
  const rows = await tx<{ group_id: number }[]>`
    delete from customer_group_member m using customer_group g
    where m.group_id = g.id and m.customer_id = ${customerId} and g.business_domain = ${domain}
    returning m.group_id`;
  const ids = rows.map((row) => row.group_id);
  if (ids.length > 0) {
    await tx`
      update customer_group set version = version + 1, updated_at = now(),
        operation_uid = ${operator.uid}, operation_name = ${operator.name}
      where id = any(${ids}::bigint[])`;
  }
  return ids;
}
