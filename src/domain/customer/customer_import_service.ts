import type { CreateCustomerInput } from "./customer.ts";

/** One row of the external `rb_customer` table as the gateway reads it. */
export interface ExternalCustomerRow {
  remote_id: string | number;
  customer_name: string | null;
  company_name: string | null;
  company_ref_id: string | null;
  business_domain: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  updated_at?: Date | string | null;
}

function text(value: string | number | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = String(value).trim();
  return trimmed === "" ? undefined : trimmed;
}

/**
 * CustomerImportService: normalises an external row into the create command with source RB; the
 * remote id is both the idempotency key (`remoteId`) and the external code (`RB-<remote_id>`).
 * Values are trimmed and blanks dropped; validation is left to createCustomer so a bad row
 * becomes a FAILED sync record with the code HTTP would answer.
 */
export const CustomerImportService = {
  /** The create command of one external row. */
  normalise(row: ExternalCustomerRow): CreateCustomerInput {
    const remoteId = String(row.remote_id).trim();
    const customer: CreateCustomerInput["customer"] = {
      customerName: text(row.customer_name) ?? "",
      businessDomain: text(row.business_domain) ?? "",
      source: "RB",
      externalCode: remoteId,
    };
    const contactName = text(row.contact_name);
    const contactPhone = text(row.contact_phone);
    if (contactName) customer.contactName = contactName;
    if (contactPhone) customer.contactPhone = contactPhone;
    const company: CreateCustomerInput["company"] = { source: "RB" };
    const sourceRefId = text(row.company_ref_id);
    const companyName = text(row.company_name);
    if (sourceRefId) company.sourceRefId = sourceRefId;
    if (companyName) company.companyName = companyName;
    return { customer, company, remoteId };
  },
};
