import type { CustomerBatches } from "../../domain/customer/customer.ts";
import { logger } from "../../shared/logger.ts";
import { csvHeader, csvLine, UTF8_BOM } from "./customer_csv.ts";

/** Export formats: CSV by default, NDJSON when the client accepts it. */
export type ExportFormat = "csv" | "ndjson";

/** The media type of each export format. */
export const EXPORT_MEDIA_TYPES: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson",
};

/** Characters of encoded rows gathered before a chunk of the body is sent. */
const CHUNK_CHARS = 64 * 1024;

/** NDJSON when the Accept header names it, else CSV. */
export function exportFormat(accept: string | undefined): ExportFormat {
  return accept?.toLowerCase().includes("application/x-ndjson") ? "ndjson" : "csv";
}

/**
 * The export as a byte stream pulled batch by batch: the next batch is read from the database
 * only when the client has taken the previous one (backpressure), and a client that goes away
 * cancels the stream, which closes the server-side cursor (ADR 0112).
 */
export function customerExportStream(
  batches: CustomerBatches,
  format: ExportFormat,
  log: { traceId?: string } = {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const encode = format === "csv"
    ? (batch: Parameters<typeof csvLine>[0][]) => batch.map(csvLine).join("")
    : (batch: Parameters<typeof csvLine>[0][]) =>
      batch.map((customer) => `${JSON.stringify(customer)}\n`).join("");
  let rows = 0;
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (format === "csv") controller.enqueue(encoder.encode(UTF8_BOM + csvHeader()));
    },
    async pull(controller) {
      try {
        // Batches are small for the database read (ADR 0114); the body is sent in larger chunks.
        let text = "";
        let ended = false;
        while (text.length < CHUNK_CHARS) {
          const batch = await batches.next();
          // Cancelled while this batch was read: cancel() closes the cursor, nothing to send.
          if (cancelled) return;
          if (batch === null) {
            ended = true;
            break;
          }
          rows += batch.length;
          text += encode(batch);
        }
        if (text) controller.enqueue(encoder.encode(text));
        if (ended) {
          await batches.close();
          controller.close();
        }
      } catch (error) {
        // Headers are sent: the client sees a cut-off body, the log says why.
        logger.error("customer export failed", {
          trace_id: log.traceId,
          rows,
          error: (error as Error).message,
        });
        await batches.close();
        controller.error(error);
      }
    },
    async cancel() {
      cancelled = true;
      logger.info("customer export cancelled by the client", { trace_id: log.traceId, rows });
      await batches.close();
    },
  }, { highWaterMark: 1 });
}
