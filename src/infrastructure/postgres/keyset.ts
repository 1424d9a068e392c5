import type { ListPosition } from "../../shared/list_cursor.ts";
import type { Queryable } from "./database.ts";

/** How a sort column's value is carried in a cursor. */
export type SortKind = "timestamp" | "text";

/**
 * The sort column as the text a cursor carries. Timestamps keep their microseconds (a JS Date
 * would drop them and make the walk repeat or skip rows written within one millisecond).
 */
export function sortKeyText(sql: Queryable, column: string, kind: SortKind) {
  return kind === "timestamp"
    ? sql`to_char(${sql(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
    : sql`${sql(column)}`;
}

/**
 * Rows strictly after the position in the order `column, id` (both in `direction`): a row
 * comparison, which the (column, id) b-trees answer as one index range.
 */
export function afterPosition(
  sql: Queryable,
  options: { column: string; idColumn: string; kind: SortKind; direction: "asc" | "desc" },
  after: ListPosition | undefined,
) {
  if (!after) return sql`true`;
  // Through text: a parameter typed timestamptz is serialized by postgres.js via a JS Date,
  // which drops the microseconds.
  const key = options.kind === "timestamp"
    ? sql`${after.key}::text::timestamptz`
    : sql`${after.key}::text`;
  const row = sql`(${sql(options.column)}, ${sql(options.idColumn)})`;
  return options.direction === "desc"
    ? sql`${row} < (${key}, ${after.id}::bigint)`
    : sql`${row} > (${key}, ${after.id}::bigint)`;
}

/** Rows fetched with one extra to learn whether a next page exists. */
export function sliceNext<R extends { id: number; cursor_key: string }>(
  rows: R[],
  limit: number,
): { rows: R[]; next: ListPosition | null } {
  if (rows.length <= limit) return { rows, next: null };
  const last = rows[limit - 1];
  return { rows: rows.slice(0, limit), next: { key: last.cursor_key, id: last.id } };
}
