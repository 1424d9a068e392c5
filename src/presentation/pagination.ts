import { z } from "@hono/zod-openapi";

/** `page` and `pageSize` query fields: 1-based, pageSize 1..100; never clamped (contract §5). */
export const pageQueryFields = {
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
  pageSize: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
};

/** Deepest row a page may reach (contract §10.3): OFFSET reads and drops every row before it. */
export const MAX_PAGE_DEPTH = 10_000;

/** A list query: the list's own fields plus page fields, with the page depth capped. */
export function pagedQuery<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({ ...shape, ...pageQueryFields }).superRefine((query, context) => {
    const { page, pageSize } = query as { page: number; pageSize: number };
    if (page * pageSize > MAX_PAGE_DEPTH) {
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
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
    totalIsCapped: z.boolean().optional().openapi({
      description: "true when more items match than `total` counts (lists that cap their count)",
    }),
  }).openapi(name);
}

/** A page of results as use cases return it. */
export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
  /** Set by lists that cap their count: true when more items match than `total`. */
  totalIsCapped?: boolean;
}
