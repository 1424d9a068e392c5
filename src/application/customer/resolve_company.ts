import { Company } from "../../domain/customer/company.ts";
import type { Source } from "../../domain/shared/source.ts";
import type { Queryable } from "../../infrastructure/postgres/database.ts";
import {
  type CompanyChanges,
  type CompanyKey,
  findCompanyByKey,
  insertCompany,
  lockCompanyOwnedBy,
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

/**
 * Only the source system's key finds a company the user cannot see yet (contract §10.1); a code or
 * credit code of another business line's company is treated as not existing.
 */
function visibility(key: CompanyKey, domains: string[]): { visibleIn?: string[] } {
  return "sourceRefId" in key ? {} : { visibleIn: domains };
}

// Details never name the other company: it may be one the user cannot see (contract §10.1).
const HELD_BY_ANOTHER: Record<"sourceRefId" | "unifiedSocialCreditCode", string> = {
  sourceRefId: "the source and sourceRefId belong to another company",
  unifiedSocialCreditCode: "the unified social credit code belongs to another company",
};

async function ensureNotHeldByAnother(tx: Queryable, company: Company, key: CompanyKey) {
  const holder = await findCompanyByKey(tx, key);
  if (holder && holder.id !== company.id) {
    const field = "sourceRefId" in key ? "sourceRefId" : "unifiedSocialCreditCode";
    throw new AppError("COMPANY_DUPLICATED", HELD_BY_ANOTHER[field]);
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

/** What resolveCompany needs to know: the body's company part, its source, the user's domains. */
export interface CompanyReference {
  input: CreateCustomerBody["company"];
  source: Source;
  /** The user's business domains: they decide which companies exist and may change (§10.1). */
  domains: string[];
}

/**
 * Finds the company of a create command (ADR 0020, ADR 0090): by companyCode when given, else by
 * (source, sourceRefId), else by unified social credit code. A company found by code or credit
 * code must be visible to the user. With a companyName it is upserted: inserted, or its given
 * fields updated when all its customers are in the user's domains (otherwise linked as stored);
 * without one it must exist (422 COMPANY_NOT_FOUND). A key held by another company is 409
 * COMPANY_DUPLICATED, with a detail that names nothing of that company.
 */
export async function resolveCompany(
  tx: Queryable,
  reference: CompanyReference,
): Promise<ResolvedCompany> {
  const { input, source, domains } = reference;
  const key = lookupKey(input, source);
  const find = () => key ? findCompanyByKey(tx, key, visibility(key, domains)) : undefined;
  let found = await find();
  if (!found) {
    if (input.companyName === undefined) {
      // The key is not echoed: a hidden company's code must read like one never used (§10.1).
      const by = key ? Object.keys(key).join(" and ") : "any key";
      throw new ReferencedCompanyNotFound(
        `no company found by ${by}; give a companyName to create it`,
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
    found = await find();
    if (!found) {
      throw new AppError(
        "COMPANY_DUPLICATED",
        "the company code, unified social credit code or (source, sourceRefId) is held by another company",
      );
    }
  }
  const changes = input.companyName === undefined ? {} : changesOf(input, found);
  const changing = Object.keys(changes).length > 0;
  if (changing && !(await lockCompanyOwnedBy(tx, found.id, domains))) {
    // Shared with a business line the user lacks: linked as stored, given fields ignored (§10.1).
    return { company: found, created: false, changed: false };
  }
  if (input.sourceRefId && (found.source !== source || found.sourceRefId !== input.sourceRefId)) {
    await ensureNotHeldByAnother(tx, found, { source, sourceRefId: input.sourceRefId });
  }
  const uscc = input.unifiedSocialCreditCode;
  if (uscc && found.unifiedSocialCreditCode !== uscc) {
    await ensureNotHeldByAnother(tx, found, { unifiedSocialCreditCode: uscc });
  }
  if (!changing) return { company: found, created: false, changed: false };
  return { company: await updateCompany(tx, found.id, changes), created: false, changed: true };
}

function changesOf(input: CreateCustomerBody["company"], found: Company): CompanyChanges {
  const changes: CompanyChanges = {};
  if (input.companyName !== undefined && input.companyName !== found.companyName) {
    changes.companyName = input.companyName;
  }
  const uscc = input.unifiedSocialCreditCode;
  if (uscc !== undefined && uscc !== found.unifiedSocialCreditCode) {
    changes.unifiedSocialCreditCode = uscc;
  }
  for (const field of ["address", "contactName", "contactPhone"] as const) {
    if (input[field] !== undefined && input[field] !== found[field]) changes[field] = input[field];
  }
  return changes;
}
