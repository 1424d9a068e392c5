import { AppError, type ErrorCode } from "../../shared/errors.ts";

/** Constraint (or unique index) names of the customer and company tables and their 409 codes. */
const CONFLICTS: Record<string, { code: ErrorCode; detail: string }> = {
  customer_customer_code_key: {
    code: "CUSTOMER_DUPLICATED",
    detail: "a customer with this customer code already exists",
  },
  customer_name_code_key: {
    code: "CUSTOMER_DUPLICATED",
    detail: "a customer with this name and code already exists",
  },
  customer_source_external_code_key: {
    code: "CUSTOMER_DUPLICATED",
    detail: "a customer with this source and external code already exists",
  },
  company_company_code_key: {
    code: "COMPANY_DUPLICATED",
    detail: "a company with this company code already exists",
  },
  company_unified_social_credit_code_key: {
    code: "COMPANY_DUPLICATED",
    detail: "the unified social credit code is held by another company",
  },
  company_source_ref_key: {
    code: "COMPANY_DUPLICATED",
    detail: "the source and sourceRefId are held by another company",
  },
};

/** True when the error is a Postgres unique violation (23505), optionally of one constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pg = error as { code?: unknown; constraint_name?: unknown };
  return pg?.code === "23505" && (constraint === undefined || pg.constraint_name === constraint);
}

/** Rethrows a unique violation of a customer/company constraint as its 409; others unchanged. */
export function mapUniqueViolation(error: unknown): never {
  if (isUniqueViolation(error)) {
    const name = String((error as { constraint_name?: unknown }).constraint_name ?? "");
    const conflict = CONFLICTS[name];
    if (conflict) throw new AppError(conflict.code, conflict.detail, { cause: error });
  }
  throw error;
}
