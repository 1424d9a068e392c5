import type { RowDataPacket } from "mysql2/promise";
import type { ExternalCustomerRow } from "../../domain/customer/customer_import_service.ts";
import type { MysqlPool } from "./pool.ts";

export type { ExternalCustomerRow };

/** Which rows to read: by remote ids, changed since an instant, or all (both narrow together). */
export interface ExternalCustomerFilter {
  remoteIds?: string[];
  updatedSince?: Date;
}

/** A keyset position `(updated_at, remote_id)` of a streamed read. */
interface Cursor {
  updatedAt: string;
  remoteId: string;
}

/**
 * ExternalCustomerGateway: reads of `rb_customer` only (contract section 7). It exposes no write
 * method, and its pool is read-only at the session level, so even a stray write is refused.
 */
export interface ExternalCustomerGateway {
  /** Rows matching the filter, at most `limit`, in keyset order. */
  list(
    filter: ExternalCustomerFilter,
    options?: { limit?: number },
  ): Promise<ExternalCustomerRow[]>;
  /** How many rows match the filter (for progress and the HTTP row limit). */
  count(filter: ExternalCustomerFilter): Promise<number>;
  /** Every matching row in pages of `pageSize`, by `(updated_at, remote_id)` keyset. */
  pages(
    filter: ExternalCustomerFilter,
    options?: { pageSize?: number },
  ): AsyncGenerator<ExternalCustomerRow[]>;
}

const COLUMNS = `cast(remote_id as char) as remote_id, customer_name, company_name, company_ref_id,
  business_domain, contact_name, contact_phone,
  date_format(updated_at, '%Y-%m-%d %H:%i:%s.%f') as updated_at`;
const ORDER = "order by updated_at, remote_id";
/** Remote ids per `in (...)` list: keeps statements small on huge id lists. */
const ID_CHUNK = 1000;

interface RawRow extends RowDataPacket {
  remote_id: string;
  customer_name: string | null;
  company_name: string | null;
  company_ref_id: string | null;
  business_domain: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  updated_at: string;
}

function toRow(raw: RawRow): ExternalCustomerRow {
  return {
    remoteId: String(raw.remote_id),
    customerName: raw.customer_name,
    companyName: raw.company_name,
    companyRefId: raw.company_ref_id,
    businessDomain: raw.business_domain,
    contactName: raw.contact_name,
    contactPhone: raw.contact_phone,
    updatedAt: raw.updated_at,
  };
}

/** The pool's session time zone is UTC (`timezone: "Z"`), so instants compare as UTC text. */
function mysqlInstant(date: Date): string {
  return date.toISOString().replace("T", " ").replace("Z", "");
}

function whereClause(
  filter: ExternalCustomerFilter,
  ids: string[] | undefined,
  after?: Cursor,
): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (ids) {
    conditions.push(`remote_id in (${ids.map(() => "?").join(", ")})`);
    params.push(...ids);
  }
  if (filter.updatedSince) {
    conditions.push("updated_at >= ?");
    params.push(mysqlInstant(filter.updatedSince));
  }
  if (after) {
    // Spelled out rather than a row comparison so MariaDB uses the (updated_at, remote_id) index.
    conditions.push("(updated_at > ? or (updated_at = ? and remote_id > ?))");
    params.push(after.updatedAt, after.updatedAt, after.remoteId);
  }
  return { sql: conditions.length ? `where ${conditions.join(" and ")}` : "", params };
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) {
    result.push(items.slice(index, index + size));
  }
  return result;
}

/** Creates the gateway over a read-only pool (createReadOnlyMysqlPool). */
export function createExternalCustomerGateway(pool: MysqlPool): ExternalCustomerGateway {
  async function select(
    filter: ExternalCustomerFilter,
    ids: string[] | undefined,
    after: Cursor | undefined,
    limit: number,
  ): Promise<ExternalCustomerRow[]> {
    const where = whereClause(filter, ids, after);
    const [rows] = await pool.query<RawRow[]>(
      `select ${COLUMNS} from rb_customer ${where.sql} ${ORDER} limit ?`,
      [...where.params, limit],
    );
    return rows.map(toRow);
  }

  async function* pages(
    filter: ExternalCustomerFilter,
    options: { pageSize?: number } = {},
  ): AsyncGenerator<ExternalCustomerRow[]> {
    const pageSize = options.pageSize ?? 500;
    const idGroups = filter.remoteIds ? chunks([...new Set(filter.remoteIds)], ID_CHUNK) : [
      undefined,
    ];
    for (const ids of idGroups) {
      if (ids && ids.length === 0) continue;
      let after: Cursor | undefined;
      while (true) {
        const page = await select(filter, ids, after, pageSize);
        if (page.length > 0) yield page;
        if (page.length < pageSize) break;
        const last = page[page.length - 1];
        after = { updatedAt: last.updatedAt, remoteId: last.remoteId };
      }
    }
  }

  return {
    async list(filter, options = {}) {
      const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
      const rows: ExternalCustomerRow[] = [];
      for await (const page of pages(filter, { pageSize: Math.min(limit, 1000) })) {
        rows.push(...page.slice(0, limit - rows.length));
        if (rows.length >= limit) break;
      }
      return rows;
    },

    async count(filter) {
      const idGroups = filter.remoteIds ? chunks([...new Set(filter.remoteIds)], ID_CHUNK) : [
        undefined,
      ];
      let total = 0;
      for (const ids of idGroups) {
        const where = whereClause(filter, ids);
        const [rows] = await pool.query<RowDataPacket[]>(
          `select count(*) as total from rb_customer ${where.sql}`,
          where.params,
        );
        total += Number(rows[0].total);
      }
      return total;
    },

    pages,
  };
}
