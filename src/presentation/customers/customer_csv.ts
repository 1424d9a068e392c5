import type { CustomerView } from "../../domain/customer/customer.ts";

/**
 * The columns of the CSV export, in order: the Customer JSON fields with the company flattened
 * (contract §10.5). A new Customer field is one more name here.
 */
export const CUSTOMER_CSV_FIELDS = [
  "id",
  "customerCode",
  "customerName",
  "businessDomain",
  "status",
  "mergedIntoId",
  "source",
  "externalCode",
  "contactName",
  "contactPhone",
  "remark",
  "companyCode",
  "companyName",
  "operationUid",
  "operationName",
  "version",
  "createdAt",
  "updatedAt",
] as const;

type CsvField = typeof CUSTOMER_CSV_FIELDS[number];

/** The UTF-8 byte-order mark: spreadsheet programs then read Chinese names as UTF-8. */
export const UTF8_BOM = "\uFEFF";

function valueOf(customer: CustomerView, field: CsvField): unknown {
  if (field === "companyCode") return customer.company.companyCode;
  if (field === "companyName") return customer.company.companyName;
  return (customer as unknown as Record<string, unknown>)[field];
}

// A cell a spreadsheet would run as a formula (`=HYPERLINK(...)`, `@SUM`, `+cmd|...`): prefixed
// with an apostrophe (OWASP "CSV injection"). Phone-like values (`+86 138...`, `-1`) hold no
// function call and stay as they are (ADR 0113).
const FORMULA_START = /^[=+\-@\t\r]/;
const HARMLESS_NUMBER = /^[+-]?[\d\s().-]*$/;

/** One CSV cell: quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (FORMULA_START.test(text) && !HARMLESS_NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The header line (CRLF-terminated, as RFC 4180 has it). */
export function csvHeader(): string {
  return `${CUSTOMER_CSV_FIELDS.join(",")}\r\n`;
}

/** One customer as a CSV line. */
export function csvLine(customer: CustomerView): string {
  return `${CUSTOMER_CSV_FIELDS.map((field) => csvCell(valueOf(customer, field))).join(",")}\r\n`;
}
