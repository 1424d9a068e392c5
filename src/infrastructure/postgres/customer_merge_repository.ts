import type { Queryable } from "./database.ts";

/** Who performs a write. */
interface Operator {
  uid: string;
  name: string;
}

/**
 * Moves the source's group memberships to the target: a group that already lists the target
 * drops the source's row, the others have it re-pointed. The groups are row-locked first (in id
 * order, like member replacements lock their group), so a concurrent replacement never sees
 * half a move; their version and operator are bumped. Answers the groups' ids, ascending.
 */
export async function moveGroupMemberships(
  tx: Queryable,
  move: { sourceId: number; targetId: number; operator: Operator },
): Promise<number[]> {
  const groups = await tx<{ id: number }[]>`
    select g.id from customer_group g
    where g.id in (select group_id from customer_group_member where customer_id = ${move.sourceId})
    order by g.id
    for update`;
  const ids = groups.map((group) => group.id);
  if (ids.length === 0) return ids;
  await tx`
    delete from customer_group_member m
    where m.customer_id = ${move.sourceId} and m.group_id = any(${ids}::bigint[])
      and exists (select 1 from customer_group_member t
        where t.group_id = m.group_id and t.customer_id = ${move.targetId})`;
  await tx`
    update customer_group_member set customer_id = ${move.targetId},
      operation_uid = ${move.operator.uid}, updated_at = now()
    where customer_id = ${move.sourceId} and group_id = any(${ids}::bigint[])`;
  await tx`
    update customer_group set version = version + 1, updated_at = now(),
      operation_uid = ${move.operator.uid}, operation_name = ${move.operator.name}
    where id = any(${ids}::bigint[])`;
  return ids;
}

/** Points the source customer's sync records at the target; answers how many moved. */
export async function repointSyncRecords(
  tx: Queryable,
  move: { sourceId: number; targetId: number },
): Promise<number> {
  const rows = await tx`
    update external_system_sync set entity_id = ${move.targetId}, updated_at = now()
    where entity_type = 'CUSTOMER' and entity_id = ${move.sourceId}
    returning 1`;
  return rows.length;
}

/** Terminates the source as merged into the target, bumping its version; answers the version. */
export async function markCustomerMerged(
  tx: Queryable,
  merge: { sourceId: number; targetId: number; operator: Operator },
): Promise<number> {
  const [row] = await tx<{ version: number }[]>`
    update customer set status = 'TERMINATED', merged_into_id = ${merge.targetId},
      version = version + 1, updated_at = now(), operation_uid = ${merge.operator.uid},
      operation_name = ${merge.operator.name}
    where id = ${merge.sourceId}
    returning version`;
  return row.version;
}
