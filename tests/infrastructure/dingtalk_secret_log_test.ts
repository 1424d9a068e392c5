import assert from "node:assert/strict";
import { createDingTalkClient } from "../../src/infrastructure/dingtalk/dingtalk_client.ts";
import { configureLogging } from "../../src/shared/logger.ts";

// Contract §10.3 / issue 13: the DingTalk app secret travels in the gettoken query string, so a
// failed call must not log the URL (fetch errors name it).

Deno.test("a failed DingTalk call never logs the app secret", async () => {
  const lines: string[] = [];
  configureLogging({ level: "debug", sink: (line) => lines.push(line) });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  try {
    const client = createDingTalkClient({
      appKey: "app-key-1",
      appSecret: "APP-SECRET-MUST-NOT-LEAK",
      apiBase: `http://127.0.0.1:${port}`,
      oapiBase: `http://127.0.0.1:${port}`,
      timeoutMs: 2_000,
    });
    await assert.rejects(() => client.userIdByUnionId("union-1"), (error: Error) => {
      assert.doesNotMatch(error.message, /APP-SECRET/);
      return true;
    });
    assert.ok(lines.some((line) => line.includes("dingtalk call failed")), lines.join("\n"));
    for (const line of lines) assert.doesNotMatch(line, /APP-SECRET-MUST-NOT-LEAK|appsecret/);
  } finally {
    configureLogging({ level: "error", sink: (line) => console.log(line) });
  }
});
