import { z } from "@hono/zod-openapi";

/**
 * `page`, `pageSize` and `cursor` query fields: 1-based, pageSize 1..100; never clamped (contract
 * §5). `page` has no zod default so that a page given together with a cursor can be told apart.
 */
export const pageQueryFields = {
  page: z.coerce.number().int().min(1).optional().openapi({
    example: 1,
    description: "1-based page number (default 1); not together with cursor",
  }),
  pageSize: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
  cursor: z.string().min(1).max(1000).optional().openapi({
    description: "The nextCursor of the previous answer, with the same filters and sort and " +
      "without page: the next page by keyset",
  }),
};

/** Deepest row a page may reach (contract §10.3): OFFSET reads and drops every row before it. */
export const MAX_PAGE_DEPTH = 10_000;

/** A list query: the list's own fields plus page fields, with the page depth capped. */
export function pagedQuery<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({ ...shape, ...pageQueryFields }).superRefine((query, context) => {
    const { page, pageSize, cursor } = query as {
      page?: number;
      pageSize: number;
      cursor?: string;
    };
    if (page !== undefined && cursor !== undefined) {
      context.addIssue({
        code: "custom",
        path: ["cursor"],
        message: "give either page or cursor, not both",
      });
    } else if ((page ?? 1) * pageSize > MAX_PAGE_DEPTH) {
      context.addIssue({
        code: "custom",
        path: ["page"],
        message: `page * pageSize must be at most ${MAX_PAGE_DEPTH}; use cursor to walk further`,
      });
    }
  });
}

/** A `sort` query field over an allow-list; a leading `-` sorts descending. */
export function sortQueryField<const F extends string>(fields: readonly F[], fallback: string) {
  const values = fields.flatMap((field) => [field, `-${field}`]) as [string, ...string[]];
  return z.enum(values).default(fallback).openapi({
    description: `One of ${fields.join(", ")}; prefix with - for descending`,
  });
}

/** A parsed sort: field and direction. */
export interface Sort<F extends string = string> {
  field: F;
  direction: "asc" | "desc";
}

/** Parses a validated `sort` value. */
export function parseSort<F extends string>(sort: string): Sort<F> {
  return sort.startsWith("-")
    ? { field: sort.slice(1) as F, direction: "desc" }
    : { field: sort as F, direction: "asc" };
}

/** The page envelope `{items, page, pageSize, total}` for an item schema. */
export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z.object({
    items: z.array(item),
    page: z.number().int().nullable().openapi({
      description: "The page number asked for (1 by default); null on a page reached by cursor",
    }),
    pageSize: z.number().int(),
    total: z.number().int(),
    totalIsCapped: z.boolean().optional().openapi({
      description: "true when more items match than `total` counts (lists that cap their count)",
    }),
    nextCursor: z.string().nullable().openapi({
      description: "Pass as `cursor` (same filters and sort, no page) for the next page; " +
        "null on the last page",
    }),
  }).openapi(name);
}
