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

/** One `rb_company` row of the external source (RBCompanyGateway), not normalised yet. */
export interface ExternalCompanyRow {
  companyRefId: string;
  companyName: string | null;
  unifiedSocialCreditCode: string | null;
  address: string | null;
  contactName: string | null;
  contactPhone: string | null;
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
  /**
   * The create command of one external row. The row's `rb_company` row, when there is one, is the
   * source of the company's fields (its name first, then the customer row's `company_name`).
   */
  normalise(row: ExternalCustomerRow, companyRow?: ExternalCompanyRow): CreateCustomerInput {
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
    const companyName = text(companyRow?.companyName) ?? text(row.companyName);
    if (sourceRefId) company.sourceRefId = sourceRefId;
    if (companyName) company.companyName = companyName;
    if (companyRow) {
      const fields = {
        unifiedSocialCreditCode: text(companyRow.unifiedSocialCreditCode),
        address: text(companyRow.address),
        contactName: text(companyRow.contactName),
        contactPhone: text(companyRow.contactPhone),
      };
      for (const [field, value] of Object.entries(fields)) {
        if (value) company[field as keyof typeof fields] = value;
      }
    }
    return { customer, company, remoteId };
  },
};
