import { AppError } from "../../shared/errors.ts";
import { type Source, SOURCE_PREFIX } from "../shared/source.ts";

/** The format of a company's id in its source system (contract section 3). */
export const SOURCE_REF_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Max length of a company code (schema check). */
export const COMPANY_CODE_MAX = 64;

/** A company as the domain sees it. */
export interface Company {
  id: number;
  companyCode: string;
  companyName: string;
  source: Source;
  sourceRefId: string | null;
  unifiedSocialCreditCode: string | null;
  address: string | null;
  contactName: string | null;
  contactPhone: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The company JSON of the contract (detail of a customer, /companies). */
export type CompanyView = Company;

/** The short company JSON inside a Customer. */
export interface CompanySummary {
  id: number;
  companyCode: string;
  companyName: string;
}

/**
 * Why a source reference is invalid, or undefined when it is valid: a company whose source is not
 * MANUAL must carry its id in that source, 1-64 characters of `[A-Za-z0-9_-]`.
 */
export function sourceRefProblem(source: Source, sourceRefId?: string | null): string | undefined {
  if (sourceRefId === undefined || sourceRefId === null) {
    return source === "MANUAL" ? undefined : `a company of source ${source} needs a sourceRefId`;
  }
  if (!SOURCE_REF_PATTERN.test(sourceRefId)) {
    return "sourceRefId must be 1-64 characters of A-Z, a-z, 0-9, _ and -";
  }
  return undefined;
}

/** Company rules without I/O. */
export const Company = {
  /** 400 VALIDATION_FAILED (path `company.sourceRefId`) when the source reference is invalid. */
  validateSourceRef(source: Source, sourceRefId?: string | null): void {
    const problem = sourceRefProblem(source, sourceRefId);
    if (problem) {
      throw new AppError("VALIDATION_FAILED", problem, {
        errors: [{ path: "company.sourceRefId", message: problem }],
      });
    }
  },

  /** True when a new company's code needs a `company_code_seq` number (ADR 0020). */
  codeNeedsSequence(source: Source, sourceRefId?: string | null): boolean {
    return !sourceRefId || SOURCE_PREFIX[source].length + 1 + sourceRefId.length > COMPANY_CODE_MAX;
  },

  /**
   * The code of a new company sent without one: `PREFIX-sourceRefId` when it fits the
   * 64-character column, else `PREFIX-` and the 8-digit sequence number (ADR 0020).
   */
  newCompanyCode(source: Source, sourceRefId?: string | null, sequenceNumber?: number): string {
    const prefix = SOURCE_PREFIX[source];
    if (!Company.codeNeedsSequence(source, sourceRefId)) return `${prefix}-${sourceRefId}`;
    if (sequenceNumber === undefined || !Number.isSafeInteger(sequenceNumber)) {
      throw new Error("a company code without a fitting sourceRefId needs a sequence number");
    }
    return `${prefix}-${String(sequenceNumber).padStart(8, "0")}`;
  },
};
