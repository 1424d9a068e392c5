import assert from "node:assert/strict";
import type { CustomerBatches, CustomerView } from "../../src/domain/customer/customer.ts";
import { customerExportStream } from "../../src/presentation/customers/customer_export_stream.ts";

function customer(id: number): CustomerView {
  return {
    id,
    customerCode: `CUS-${id}`,
    customerName: `上海恒通 ${id}`,
    businessDomain: "COLD_CHAIN",
    status: "ACTIVE",
    mergedIntoId: null,
    source: "MANUAL",
    externalCode: null,
    contactName: null,
    contactPhone: null,
    remark: null,
    company: { id: 1, companyCode: "MN-1", companyName: "Co" },
    operationUid: "u1",
    operationName: "Op",
    version: 1,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
}

/** `count` batches of `size` customers, as the repository hands them out. */
function batchesOf(count: number, size: number): CustomerBatches & { closed: boolean } {
  let served = 0;
  return {
    closed: false,
    next() {
      if (served === count) return Promise.resolve(null);
      const first = served++ * size;
      return Promise.resolve(Array.from({ length: size }, (_, i) => customer(first + i + 1)));
    },
    close() {
      this.closed = true;
      return Promise.resolve();
    },
  };
}

async function chunksOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

Deno.test("the export body gathers small batches into larger chunks (ADR 0114)", async () => {
  // 40 batches of 10 NDJSON rows (~0.4 KB each): a chunk per batch would be 40 chunks.
  const batches = batchesOf(40, 10);
  const chunks = await chunksOf(customerExportStream(batches, "ndjson"));
  const lines = new TextDecoder().decode(
    new Uint8Array(chunks.flatMap((chunk) => [...chunk])),
  ).trim().split("\n");
  assert.equal(lines.length, 400);
  assert.deepEqual(
    lines.map((line) => JSON.parse(line).id),
    Array.from({ length: 400 }, (_, i) => i + 1),
  );
  assert.ok(chunks.length <= 4, `${chunks.length} chunks`);
  assert.ok(batches.closed);
});

Deno.test("the CSV export still starts with its BOM and header chunk", async () => {
  const chunks = await chunksOf(customerExportStream(batchesOf(3, 2), "csv"));
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(chunks[0]);
  assert.ok(text.startsWith("\ufeff"));
  assert.equal(chunks.length, 2, "the header, then one chunk of every row");
});
