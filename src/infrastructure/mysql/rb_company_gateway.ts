import type { RowDataPacket } from "mysql2/promise";
import type { ExternalCompanyRow } from "../../domain/customer/customer_import_service.ts";
import { logger } from "../../shared/logger.ts";
import type { MysqlPool } from "./pool.ts";

export type { ExternalCompanyRow };

/**
 * RBCompanyGateway: reads of `rb_company` only, like ExternalCustomerGateway: no write method, and
 * the pool's sessions are read-only.
 */
export interface RBCompanyGateway {
  /** The rows of the given company reference ids that exist, by id. */
  findByRefIds(refIds: string[]): Promise<Map<string, ExternalCompanyRow>>;
}

/** Reference ids per `in (...)` list: an import page references at most its row count. */
const ID_CHUNK = 1000;
/** MySQL's "table doesn't exist": a source loaded before rb_company was added to the fixture. */
const NO_SUCH_TABLE = 1146;

interface RawRow extends RowDataPacket {
  company_ref_id: string;
  company_name: string | null;
  unified_social_credit_code: string | null;
  address: string | null;
  contact_name: string | null;
  contact_phone: string | null;
}

/** Creates the gateway over a read-only pool (createReadOnlyMysqlPool). */
export function createRBCompanyGateway(pool: MysqlPool): RBCompanyGateway {
  let tableMissingLogged = false;
  return {
    async findByRefIds(refIds) {
      const found = new Map<string, ExternalCompanyRow>();
      const unique = [...new Set(refIds)];
      for (let start = 0; start < unique.length; start += ID_CHUNK) {
        const ids = unique.slice(start, start + ID_CHUNK);
        let rows: RawRow[];
        try {
          [rows] = await pool.query<RawRow[]>(
            `select company_ref_id, company_name, unified_social_credit_code, address,
              contact_name, contact_phone
             from rb_company where company_ref_id in (${ids.map(() => "?").join(", ")})`,
            ids,
          );
        } catch (error) {
          if ((error as { errno?: number }).errno !== NO_SUCH_TABLE) throw error;
          // Imports keep working from rb_customer alone, as before the company table existed.
          if (!tableMissingLogged) {
            tableMissingLogged = true;
            logger.warn("rb_company is missing in the external source; importing without it");
          }
          return found;
        }
        for (const row of rows) {
          found.set(String(row.company_ref_id), {
            companyRefId: String(row.company_ref_id),
            companyName: row.company_name,
            unifiedSocialCreditCode: row.unified_social_credit_code,
            address: row.address,
            contactName: row.contact_name,
            contactPhone: row.contact_phone,
          });
        }
      }
      return found;
    },
  };
}
