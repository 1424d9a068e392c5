import assert from "node:assert/strict";
import { startTestApp } from "../support/test_app.ts";

// deno-lint-ignore no-explicit-any
type Schema = any;

/**
 * Inputs bounded by their validation although the document shows no maxLength: the credit code is
 * refined to exactly 18 characters with a verified check character (and the body limit is 1 MiB).
 */
const BOUNDED_BY_VALIDATION = new Set(["POST /customers body.company.unifiedSocialCreditCode"]);

/** Every unbounded string or array reachable from a request schema, as JSON paths. */
function unbounded(schema: Schema, path: string, components: Record<string, Schema>): string[] {
  if (!schema || typeof schema !== "object") return [];
  if (schema.$ref) {
    const name = String(schema.$ref).split("/").at(-1)!;
    return unbounded(components[name], path, components);
  }
  const found: string[] = [];
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    for (const part of schema[key] ?? []) found.push(...unbounded(part, path, components));
  }
  const types = [schema.type].flat();
  if (types.includes("string") && schema.maxLength === undefined && !schema.enum) {
    // A format with a fixed shape (date-time) or a pattern anchored on both ends is bounded
    // enough; free text is not.
    if (!schema.format && !/^\^.*\$$/.test(schema.pattern ?? "")) found.push(path);
  }
  if (types.includes("array")) {
    if (schema.maxItems === undefined) found.push(`${path}[]`);
    found.push(...unbounded(schema.items, `${path}[]`, components));
  }
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    found.push(...unbounded(property, `${path}.${name}`, components));
  }
  return found;
}

Deno.test(
  "every list is paged and every string and array a client can send is bounded",
  async () => {
    const env = await startTestApp("input_limits", { redis: false });
    try {
      const spec = await (await env.request("GET", "/openapi.json")).json();
      const components = spec.components?.schemas ?? {};
      const problems: string[] = [];
      let inputs = 0;
      const lists: string[] = [];
      for (const [route, operations] of Object.entries<Schema>(spec.paths)) {
        for (const [method, operation] of Object.entries<Schema>(operations)) {
          const where = `${method.toUpperCase()} ${route}`;
          for (const parameter of operation.parameters ?? []) {
            inputs++;
            if (parameter.name === "pageSize") {
              lists.push(where);
              if (!(parameter.schema.maximum <= 100)) problems.push(`${where} pageSize unbounded`);
            }
            problems.push(
              ...unbounded(
                parameter.schema,
                `${where} ${parameter.in}:${parameter.name}`,
                components,
              ),
            );
          }
          const body = operation.requestBody?.content?.["application/json"]?.schema;
          if (body) {
            inputs++;
            problems.push(...unbounded(body, `${where} body`, components));
          }
        }
      }
      assert.ok(inputs > 10, `found ${inputs} request inputs in the OpenAPI document`);
      for (const list of ["GET /customers", "GET /companies", "GET /customer-groups"]) {
        assert.ok(lists.includes(list), `${list} is paged with a bounded pageSize`);
      }
      assert.deepEqual(
        problems.filter((problem) => !BOUNDED_BY_VALIDATION.has(problem)),
        [],
        "unbounded request strings or arrays",
      );
    } finally {
      await env.close();
    }
  },
);
