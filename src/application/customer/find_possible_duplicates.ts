import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { normaliseCustomerName } from "../../domain/customer/customer_name.ts";
import {
  POSSIBLE_DUPLICATES,
  type PossibleDuplicate,
  rankPossibleDuplicates,
} from "../../domain/customer/possible_duplicates.ts";
import {
  findCustomersByCreditCode,
  findCustomersWithSimilarName,
} from "../../infrastructure/postgres/possible_duplicate_repository.ts";

/**
 * Customers of a domain that may be the one described (contract §10.6): same company credit code
 * (score 1) or a similar normalised name (trigram similarity >= 0.6), best first, at most 20.
 * 403 FORBIDDEN unless the user holds the domain.
 */
export async function findPossibleDuplicates(
  deps: { db: Database },
  command: {
    user: CurrentUser;
    customerName: string;
    businessDomain: string;
    unifiedSocialCreditCode?: string;
  },
): Promise<{ items: PossibleDuplicate[] }> {
  BusinessDomainGuard.requireDomain(command.user, command.businessDomain);
  const limit = POSSIBLE_DUPLICATES.maxItems;
  const nameKey = normaliseCustomerName(command.customerName);
  // A search, not a read that decides a write: the replica may answer it.
  const sql = deps.db.readSql;
  const [sameCreditCode, similarNames] = await Promise.all([
    command.unifiedSocialCreditCode
      ? findCustomersByCreditCode(sql, {
        businessDomain: command.businessDomain,
        creditCode: command.unifiedSocialCreditCode,
        limit,
      })
      : Promise.resolve([]),
    nameKey
      ? findCustomersWithSimilarName(sql, {
        businessDomain: command.businessDomain,
        nameKey,
        minSimilarity: POSSIBLE_DUPLICATES.minNameSimilarity,
        limit,
      })
      : Promise.resolve([]),
  ]);
  return { items: rankPossibleDuplicates(sameCreditCode, similarNames) };
}
