import type { CustomerView } from "../../domain/customer/customer.ts";

/** How many rows each fetch of an export takes: a fixed count, or a byte budget. */
export type FetchSize = number | { bytes: number; minRows: number; maxRows: number };

/** The columns of a customer view outside its text: ids, version, timestamps, status, source. */
const FIXED_ROW_BYTES = 120;

/**
 * A customer's size on the wire, roughly: its text counted at two bytes a character (one for
 * ASCII, three for CJK in UTF-8) plus the fixed columns.
 */
export function approximateRowBytes(customer: CustomerView): number {
  let chars = 0;
  for (
    const text of [
      customer.customerCode,
      customer.customerName,
      customer.externalCode,
      customer.contactName,
      customer.contactPhone,
      customer.remark,
      customer.operationUid,
      customer.operationName,
      customer.company.companyCode,
      customer.company.companyName,
    ]
  ) chars += text?.length ?? 0;
  return FIXED_ROW_BYTES + 2 * chars;
}

/**
 * The row count of each next fetch: fixed, or sized from the rows of the last fetch so that a
 * fetch stays within the byte budget (the first takes `minRows`).
 */
export function fetchSizer(size: FetchSize): {
  next(): number;
  saw(rows: CustomerView[]): void;
} {
  if (typeof size === "number") return { next: () => size, saw: () => {} };
  let rows = size.minRows;
  return {
    next: () => rows,
    saw(batch) {
      if (batch.length === 0) return;
      let bytes = 0;
      for (const customer of batch) bytes += approximateRowBytes(customer);
      const fit = Math.floor(size.bytes / (bytes / batch.length));
      rows = Math.min(size.maxRows, Math.max(size.minRows, fit));
    },
  };
}
