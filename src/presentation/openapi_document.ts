import type { OpenAPIHono } from "@hono/zod-openapi";

type DocumentConfig = Parameters<OpenAPIHono["getOpenAPI31Document"]>[0];
type Document = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** The document's header: title, version, license and the server it is served from. */
export const DOCUMENT_CONFIG: DocumentConfig = {
  openapi: "3.1.0",
  info: {
    title: "Customer master-data service",
    version: "2.0.0",
    description:
      "Customers, companies, customer groups and business domains, with DingTalk-role domain isolation.",
  },
  // Relative: the document describes whichever host serves it.
  servers: [{ url: "/", description: "this service" }],
};

/** `GET /customers/{id}/status` -> `patchCustomersIdStatus`: stable and unique per operation. */
function operationIdOf(method: string, path: string): string {
  const words = path.split("/").filter(Boolean).flatMap((segment) =>
    segment.replace(/[{}]/g, "").split(/[^A-Za-z0-9]+/)
  );
  return method + words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join("");
}

/**
 * Fills what route definitions leave implicit, so every route (also ones added later) passes
 * Redocly's recommended rules: an operation id, and `security: []` on public operations (the
 * protected ones declare bearerAuth themselves).
 */
export function completeDocument(document: Document): Document {
  document.info.license = { name: "Proprietary", identifier: "LicenseRef-Proprietary" };
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (!operation) continue;
      operation.operationId ??= operationIdOf(method, path);
      operation.security ??= [];
    }
  }
  return document;
}

/** Builds the completed OpenAPI 3.1 document of an app once, on first use. */
export function openApiDocument(app: Pick<OpenAPIHono, "getOpenAPI31Document">): () => Document {
  let document: Document | undefined;
  return () => (document ??= completeDocument(app.getOpenAPI31Document(DOCUMENT_CONFIG)));
}
