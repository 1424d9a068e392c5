import type { Config } from "../../config.ts";
import { cursorCodecOf, type ListPosition, type ListScope } from "../../shared/list_cursor.ts";

/** The paging fields of a list request: a page number or a cursor (never both). */
export interface PagingInput {
  page?: number;
  pageSize: number;
  cursor?: string;
}

/** Where a repository starts a page: by OFFSET, or after a keyset position. */
export interface PageStart {
  limit: number;
  offset: number;
  after?: ListPosition;
}

/** A page as repositories answer it: the rows and, when more follow, where the next one starts. */
export interface PageSlice<T> {
  items: T[];
  next: ListPosition | null;
}

/** Decodes the cursor against the scope (400 when it belongs elsewhere) or reads the page. */
export function pageStart(
  config: Pick<Config, "CURSOR_SECRET" | "JWT_SECRET">,
  scope: ListScope,
  input: PagingInput,
): PageStart {
  if (input.cursor !== undefined) {
    const after = cursorCodecOf(config).decode(scope, input.cursor);
    return { limit: input.pageSize, offset: 0, after };
  }
  return { limit: input.pageSize, offset: ((input.page ?? 1) - 1) * input.pageSize };
}

/** The paging members of a page answer: `page` (null after a cursor), `pageSize`, `nextCursor`. */
export function pageAnswer(
  config: Pick<Config, "CURSOR_SECRET" | "JWT_SECRET">,
  scope: ListScope,
  input: PagingInput,
  next: ListPosition | null,
): { page: number | null; pageSize: number; nextCursor: string | null } {
  return {
    page: input.cursor !== undefined ? null : input.page ?? 1,
    pageSize: input.pageSize,
    nextCursor: next ? cursorCodecOf(config).encode(scope, next) : null,
  };
}

/** The `sort` query value of a parsed sort, as a cursor scope names it. */
export function sortName(sort: { field: string; direction: "asc" | "desc" }): string {
  return `${sort.direction === "desc" ? "-" : ""}${sort.field}`;
}
