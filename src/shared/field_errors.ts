import type { ZodError } from "zod";
import type { FieldError } from "./errors.ts";

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  const parts = path.map(String);
  const joined = parts.join(".");
  if (prefix && joined) return `${prefix}.${joined}`;
  return joined || prefix || "body";
}

/**
 * Turns zod issues into one field error per offending field (unknown keys listed one by one):
 * the one mapper of request validation and of create commands validated by a use case.
 */
export function fieldErrors(error: ZodError, prefix = ""): FieldError[] {
  const errors: FieldError[] = [];
  // zod can raise several issues for one field (e.g. int and max): the contract wants one entry.
  const add = (path: string, message: string) => {
    if (!errors.some((error) => error.path === path)) errors.push({ path, message });
  };
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add(joinPath(prefix, [...issue.path, key]), "unknown field");
    } else {
      add(joinPath(prefix, issue.path), issue.message);
    }
  }
  return errors;
}
