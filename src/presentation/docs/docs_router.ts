import { Hono } from "hono";
import type { AppEnv } from "../env.ts";

// Served by the service itself so /docs works without internet access (ADR 0003).
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Customer master-data service API</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
});`;

/** /docs: Swagger UI over /openapi.json, with its scripts and styles served locally. */
export function docsRouter() {
  // Imported on the first asset request: evaluating swagger-ui-dist at start costs 15-20 MB of
  // resident memory and start-up time for a page few ever open (ADR 0065).
  let directory: Promise<string> | undefined;
  const assetDirectory = () =>
    directory ??= import("swagger-ui-dist").then((module) => module.default.getAbsoluteFSPath());
  const cache = new Map<string, Uint8Array>();
  return new Hono<AppEnv>()
    .get("/docs", (c) => c.html(PAGE))
    .get(
      "/docs/init.js",
      (c) => c.body(INIT, 200, { "content-type": ASSETS["swagger-ui-bundle.js"] }),
    )
    .get("/docs/assets/:file", async (c) => {
      const file = c.req.param("file");
      const type = ASSETS[file];
      if (!type) return c.notFound();
      let body = cache.get(file);
      if (!body) {
        body = await Deno.readFile(`${await assetDirectory()}/${file}`);
        cache.set(file, body);
      }
      return c.body(body.slice().buffer, 200, {
        "content-type": type,
        "cache-control": "public, max-age=86400",
      });
    });
}
