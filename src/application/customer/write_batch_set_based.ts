import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { Company, type Company as CompanyRecord } from "../../domain/customer/company.ts";
import { Customer } from "../../domain/customer/customer.ts";
import { SourcePrefixStrategy } from "../../domain/customer/customer_code.ts";
import type { Source } from "../../domain/shared/source.ts";
import {
  type CompanyChanges,
  findCompaniesBySourceRefs,
  insertCompanies,
  listCustomerIdsOfCompanies,
  lockCompanyOwnedBy,
  updateCompany,
} from "../../infrastructure/postgres/company_repository.ts";
import { insertCustomers } from "../../infrastructure/postgres/customer_repository.ts";
import type { Queryable } from "../../infrastructure/postgres/database.ts";
import { appendDomainEvents } from "../../infrastructure/postgres/domain_event_repository.ts";
import { insertSyncRecords } from "../../infrastructure/postgres/external_sync_repository.ts";
import { AppError } from "../../shared/errors.ts";
import { companySource, type CreateCustomerBody } from "./create_customer_schema.ts";
import { customerCreatedPayload, customerSource, successSyncRecord } from "./customer_writes.ts";
import { ReferencedCompanyNotFound } from "./resolve_company.ts";
import { type BatchState, failRow, type PendingRow } from "./customer_batch_state.ts";

/** The company fields an import may upsert besides the source key (the RB company data). */
const UPSERT_FIELDS = [
  "companyName",
  "unifiedSocialCreditCode",
  "address",
  "contactName",
  "contactPhone",
] as const;
type UpsertFields = CompanyChanges;

/**
 * True for the commands the set-based path handles: an import with an external code and a
 * company named only by `(source, sourceRefId)` (and maybe its upsert fields) whose code fits
 * without a sequence. Everything else runs through writeNewCustomer row by row.
 */
export function isSetBased(body: CreateCustomerBody): boolean {
  const company = body.company;
  const keys = Object.keys(company).filter((key) =>
    (company as Record<string, unknown>)[key] !== undefined
  );
  const allowed = new Set<string>(["source", "sourceRefId", ...UPSERT_FIELDS]);
  return body.remoteId !== undefined && body.customer.externalCode !== undefined &&
    company.sourceRefId !== undefined &&
    keys.every((key) => allowed.has(key)) &&
    !Company.codeNeedsSequence(companySource(body), company.sourceRefId);
}

/** The upsert fields a row gives: none without a companyName (then the company is only linked). */
function upsertFields(body: CreateCustomerBody): UpsertFields {
  if (body.company.companyName === undefined) return {};
  const fields: Record<string, unknown> = {};
  for (const field of UPSERT_FIELDS) {
    const value = (body.company as Record<string, unknown>)[field];
    if (value !== undefined) fields[field] = value;
  }
  return fields as UpsertFields;
}

function companyKey(source: Source, sourceRefId: string): string {
  return `${source}\u0000${sourceRefId}`;
}

/**
 * The set-based writes of a batch: one lookup of the companies, one insert of the new ones (in
 * key order, so concurrent batches lock them in the same order), an update per company whose name
 * changed, then one insert each of customers, CustomerCreated events and SUCCESS sync rows. Each
 * company is written at most once per batch. Any database error aborts all of it (the caller
 * then runs the rows one by one); a missing company fails only its rows.
 */
export async function writeSetBased(
  tx: Queryable,
  user: CurrentUser,
  rows: PendingRow[],
  state: BatchState,
): Promise<void> {
  const keys = new Map<string, { source: Source; sourceRefId: string }>();
  for (const row of rows) {
    const source = companySource(row.body);
    keys.set(companyKey(source, row.body.company.sourceRefId!), {
      source,
      sourceRefId: row.body.company.sourceRefId!,
    });
  }
  // Per company: what is stored (when it exists) and the fields this batch sets on it.
  const companies = new Map<
    string,
    { company?: CompanyRecord; fields: UpsertFields; changed: boolean }
  >();
  for (const company of await findCompaniesBySourceRefs(tx, [...keys.values()])) {
    companies.set(companyKey(company.source, company.sourceRefId!), {
      company,
      fields: {},
      changed: false,
    });
  }
  const planned: { row: PendingRow; key: string; companyCreated: boolean }[] = [];
  const notFound: { row: PendingRow; error: AppError }[] = [];
  for (const row of rows) {
    const source = companySource(row.body);
    const key = companyKey(source, row.body.company.sourceRefId!);
    const given = upsertFields(row.body);
    const known = companies.get(key);
    if (!known) {
      if (given.companyName === undefined) {
        notFound.push({
          row,
          error: new ReferencedCompanyNotFound(
            "no company found by source and sourceRefId; give a companyName to create it",
          ),
        });
        continue;
      }
      companies.set(key, { fields: { ...given }, changed: false });
      planned.push({ row, key, companyCreated: true });
      continue;
    }
    for (const field of UPSERT_FIELDS) {
      const value = given[field];
      if (value === undefined) continue;
      const current = field in known.fields ? known.fields[field] : known.company?.[field];
      if (value === current) continue;
      (known.fields as Record<string, unknown>)[field] = value;
      // A company created by this batch is inserted with its latest fields.
      known.changed = known.company !== undefined;
    }
    planned.push({ row, key, companyCreated: false });
  }

  const newKeys = [...companies.entries()].filter(([, entry]) => !entry.company)
    .map(([key]) => key).sort();
  const inserted = await insertCompanies(
    tx,
    newKeys.map((key) => {
      const { source, sourceRefId } = keys.get(key)!;
      const { fields } = companies.get(key)!;
      Company.validateSourceRef(source, sourceRefId);
      return {
        companyCode: Company.newCompanyCode(source, sourceRefId),
        companyName: fields.companyName!,
        source,
        sourceRefId,
        unifiedSocialCreditCode: fields.unifiedSocialCreditCode ?? null,
        address: fields.address ?? null,
        contactName: fields.contactName ?? null,
        contactPhone: fields.contactPhone ?? null,
      };
    }),
  );
  for (const company of inserted) {
    companies.get(companyKey(company.source, company.sourceRefId!))!.company = company;
  }
  const changedIds: number[] = [];
  for (const key of [...companies.keys()].sort()) {
    const entry = companies.get(key)!;
    if (!entry.changed) continue;
    // A company shared with a business line the user lacks keeps its fields (contract §10.1).
    if (!(await lockCompanyOwnedBy(tx, entry.company!.id, user.domainCodes))) continue;
    entry.company = await updateCompany(tx, entry.company!.id, entry.fields);
    changedIds.push(entry.company.id);
  }

  const ids = await insertCustomers(
    tx,
    planned.map(({ row, key }) => {
      const source = customerSource(row.body);
      const externalCode = row.body.customer.externalCode!;
      return {
        customerCode: SourcePrefixStrategy.customerCode(source, externalCode),
        customerName: row.body.customer.customerName,
        companyId: companies.get(key)!.company!.id,
        businessDomain: row.body.customer.businessDomain,
        status: Customer.initialStatus(row.body.customer.status),
        source,
        externalCode,
        contactName: row.body.customer.contactName ?? null,
        contactPhone: row.body.customer.contactPhone ?? null,
        remark: row.body.customer.remark ?? null,
        operationUid: user.dingUserId,
        operationName: user.name,
      };
    }),
  );
  const written = planned.map(({ row, key, companyCreated }, n) => ({
    row,
    written: {
      customerId: ids[n],
      companyId: companies.get(key)!.company!.id,
      companyCreated,
      companyChanged: false,
    },
  }));
  await Promise.all([
    appendDomainEvents(
      tx,
      written.map(({ row, written }) => ({
        aggregateType: "Customer" as const,
        aggregateId: written.customerId,
        eventType: "CustomerCreated",
        payload: customerCreatedPayload(row.body, written),
        operator: { uid: user.dingUserId, name: user.name },
      })),
    ),
    insertSyncRecords(
      tx,
      written.map(({ row, written }) =>
        successSyncRecord(user, { ...row.body, remoteId: row.body.remoteId! }, written.customerId)
      ),
    ),
  ]);
  const newIds = new Set(ids);
  for (const id of await listCustomerIdsOfCompanies(tx, changedIds)) {
    if (!newIds.has(id)) state.staleCustomerIds.add(id);
  }
  for (const { row, written: item } of written) {
    state.outcomes[row.index] = { status: "CREATED", customerId: item.customerId };
  }
  for (const { row, error } of notFound) failRow(state, user, row.input, row.index, error);
}
