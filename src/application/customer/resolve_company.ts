import { Company } from "../../domain/customer/company.ts";
import type { Source } from "../../domain/shared/source.ts";
import type { Queryable } from "../../infrastructure/postgres/database.ts";
import {
  type CompanyChanges,
  type CompanyKey,
  findCompanyByKey,
  insertCompany,
  nextCompanyCodeNumber,
  updateCompany,
} from "../../infrastructure/postgres/company_repository.ts";
import { AppError } from "../../shared/errors.ts";
import type { CreateCustomerBody } from "./create_customer_schema.ts";

/** The company a new customer joins, and whether an existing company's data changed. */
export interface ResolvedCompany {
  company: Company;
  created: boolean;
  changed: boolean;
}

/** COMPANY_NOT_FOUND for a referenced company is 422, unlike a company looked up by id (404). */
export class ReferencedCompanyNotFound extends AppError {
  override readonly status = 422;

  constructor(detail: string) {
    super("COMPANY_NOT_FOUND", detail);
  }
}

function lookupKey(company: CreateCustomerBody["company"], source: Source): CompanyKey | undefined {
  if (company.companyCode) return { companyCode: company.companyCode };
  if (company.sourceRefId) return { source, sourceRefId: company.sourceRefId };
  if (company.unifiedSocialCreditCode) {
    return { unifiedSocialCreditCode: company.unifiedSocialCreditCode };
  }
  return undefined;
}

async function ensureNotHeldByAnother(tx: Queryable, company: Company, key: CompanyKey) {
  const holder = await findCompanyByKey(tx, key);
  if (holder && holder.id !== company.id) {
    const what = "sourceRefId" in key ? "source and sourceRefId" : "unified social credit code";
    throw new AppError(
      "COMPANY_DUPLICATED",
      `the ${what} belong to company ${holder.companyCode}, not ${company.companyCode}`,
    );
  }
}

/**
 * The code of a new company sent without one (ADR 0020). A sequence number whose code a client
 * already gave another company (`companyCode: "MN-00000042"`) is skipped, so the create succeeds.
 */
async function newCompanyCode(tx: Queryable, source: Source, sourceRefId?: string) {
  if (!Company.codeNeedsSequence(source, sourceRefId)) {
    return Company.newCompanyCode(source, sourceRefId);
  }
  for (;;) {
    const code = Company.newCompanyCode(source, sourceRefId, await nextCompanyCodeNumber(tx));
    if (!(await findCompanyByKey(tx, { companyCode: code }))) return code;
  }
}

/**
 * Finds the company of a create command (ADR 0020): by companyCode when given, else by
 * (source, sourceRefId), else by unified social credit code. With a companyName it is upserted
 * (inserted, or its given fields updated); without one it must exist (422 COMPANY_NOT_FOUND).
 * A key of the request held by another company is 409 COMPANY_DUPLICATED.
 */
export async function resolveCompany(
  tx: Queryable,
  input: CreateCustomerBody["company"],
  source: Source,
): Promise<ResolvedCompany> {
  const key = lookupKey(input, source);
  let found = key ? await findCompanyByKey(tx, key) : undefined;
  if (!found) {
    if (input.companyName === undefined) {
      throw new ReferencedCompanyNotFound(
        `no company ${JSON.stringify(key ?? {})}; give a companyName to create it`,
      );
    }
    Company.validateSourceRef(source, input.sourceRefId);
    const inserted = await insertCompany(tx, {
      companyCode: input.companyCode ?? await newCompanyCode(tx, source, input.sourceRefId),
      companyName: input.companyName,
      source,
      sourceRefId: input.sourceRefId ?? null,
      unifiedSocialCreditCode: input.unifiedSocialCreditCode ?? null,
      address: input.address ?? null,
      contactName: input.contactName ?? null,
      contactPhone: input.contactPhone ?? null,
    });
    if (inserted) return { company: inserted, created: true, changed: false };
    // A unique key was taken meanwhile (or by another company): look again, as a concurrent
    // create of the same company must not fail.
    found = key ? await findCompanyByKey(tx, key) : undefined;
    if (!found) {
      throw new AppError(
        "COMPANY_DUPLICATED",
        "the company code, unified social credit code or (source, sourceRefId) is held by another company",
      );
    }
  }
  if (input.sourceRefId && (found.source !== source || found.sourceRefId !== input.sourceRefId)) {
    await ensureNotHeldByAnother(tx, found, { source, sourceRefId: input.sourceRefId });
  }
  const uscc = input.unifiedSocialCreditCode;
  if (uscc && found.unifiedSocialCreditCode !== uscc) {
    await ensureNotHeldByAnother(tx, found, { unifiedSocialCreditCode: uscc });
  }
  if (input.companyName === undefined) return { company: found, created: false, changed: false };
  const changes: CompanyChanges = {};
  if (input.companyName !== found.companyName) changes.companyName = input.companyName;
  if (uscc !== undefined && uscc !== found.unifiedSocialCreditCode) {
    changes.unifiedSocialCreditCode = uscc;
  }
  for (const field of ["address", "contactName", "contactPhone"] as const) {
    if (input[field] !== undefined && input[field] !== found[field]) changes[field] = input[field];
  }
  if (Object.keys(changes).length === 0) return { company: found, created: false, changed: false };
  return { company: await updateCompany(tx, found.id, changes), created: false, changed: true };
}
