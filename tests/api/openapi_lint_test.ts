import assert from "node:assert/strict";
import { startTestApp } from "../support/test_app.ts";

/** Pinned, so a new Redocly release cannot turn a green build red. */
const REDOCLY_CLI = "@redocly/cli@2.77.0";

/** Warnings left on purpose: probes answer no 4xx (they are neither validated nor limited). */
const ACCEPTED_WARNINGS = new Set([
  "operation-4xx-response:/paths/~1healthz/get/responses",
  "operation-4xx-response:/paths/~1readyz/get/responses",
]);

interface LintProblem {
  ruleId: string;
  severity: string;
  message: string;
  location: { pointer: string }[];
}

Deno.test(
  "the OpenAPI document passes Redocly's recommended rules",
  async () => {
    const env = await startTestApp("openapi_lint", { redis: false });
    const dir = await Deno.makeTempDir({ prefix: "openapi-lint-" });
    try {
      const response = await env.request("GET", "/openapi.json");
      assert.equal(response.status, 200);
      const document = await response.json();
      assert.ok(document.paths["/customers"].get.operationId, "operation ids are filled in");
      assert.deepEqual(document.paths["/healthz"].get.security, [], "public routes say so");
      const file = `${dir}/openapi.json`;
      await Deno.writeTextFile(file, JSON.stringify(document));

      const output = await new Deno.Command("npx", {
        args: ["--yes", REDOCLY_CLI, "lint", file, "--format=json"],
        cwd: dir,
        env: { NO_UPDATE_NOTIFIER: "1", REDOCLY_TELEMETRY: "off" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stdout);
      const report = JSON.parse(text.slice(text.indexOf("{")));
      const problems = (report.problems as LintProblem[]).map((problem) =>
        `${problem.ruleId}:${problem.location[0]?.pointer.replace(/^#/, "")}`
      );
      assert.equal(report.totals.errors, 0, problems.join("\n"));
      assert.deepEqual(problems.filter((problem) => !ACCEPTED_WARNINGS.has(problem)), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await env.close();
    }
  },
);
