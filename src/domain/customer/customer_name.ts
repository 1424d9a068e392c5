/**
 * The form in which customer names are compared for duplicates: Unicode NFKC (full-width
 * `ＡＢＣ１` becomes `ABC1`, the ideographic space an ASCII one), case-folded, runs of
 * whitespace collapsed to one space, trimmed. Migration 0006's SQL function `customer_name_key`
 * applies the same rule to stored names; a test keeps the two equal (ADR 0101).
 */
export function normaliseCustomerName(name: string): string {
  return name.normalize("NFKC").toLowerCase().replace(/\s+/gu, " ").trim();
}
