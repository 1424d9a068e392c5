import type { CreateCustomerInput } from "./customer.ts";

/** One `rb_customer` row of the external source, as the gateway reads it (no normalisation yet). */
export interface ExternalCustomerRow {
  remoteId: string;
  customerName: string | null;
  companyName: string | null;
  companyRefId: string | null;
  businessDomain: string | null;
  contactName: string | null;
  contactPhone: string | null;
  /** `updated_at` exactly as stored (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC), the keyset cursor. */
  updatedAt: string;
}

function text(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/**
 * CustomerImportService: normalises an external row into the create command with source RB; the
 * remote id is both the idempotency key (`remoteId`) and the external code (`RB-<remoteId>`).
 * Values are trimmed and blanks dropped; validation is left to createCustomer so a bad row
 * becomes a FAILED sync record with the code HTTP would answer.
 */
export const CustomerImportService = {
  /** The create command of one external row. */
  normalise(row: ExternalCustomerRow): CreateCustomerInput {
    const remoteId = row.remoteId.trim();
    const customer: CreateCustomerInput["customer"] = {
      customerName: text(row.customerName) ?? "",
      businessDomain: text(row.businessDomain) ?? "",
      source: "RB",
      externalCode: remoteId,
    };
    const contactName = text(row.contactName);
    const contactPhone = text(row.contactPhone);
    if (contactName) customer.contactName = contactName;
    if (contactPhone) customer.contactPhone = contactPhone;
    const company: CreateCustomerInput["company"] = { source: "RB" };
    const sourceRefId = text(row.companyRefId);
    const companyName = text(row.companyName);
    if (sourceRefId) company.sourceRefId = sourceRefId;
    if (companyName) company.companyName = companyName;
    return { customer, company, remoteId };
  },
};
