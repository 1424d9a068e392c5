import type { CustomerView } from "./customer.ts";

/** Why a customer may duplicate the one described (contract §10.6). */
export type DuplicateReason = "SAME_CREDIT_CODE" | "SIMILAR_NAME";

/** A possible duplicate: the customer, a score in [0, 1] and the reasons. */
export interface PossibleDuplicate {
  customer: CustomerView;
  score: number;
  reasons: DuplicateReason[];
}

/** Rules of the possible-duplicate search. */
export const POSSIBLE_DUPLICATES = {
  /** Trigram similarity of normalised names at or above which names are similar. */
  minNameSimilarity: 0.6,
  /** At most this many candidates are answered. */
  maxItems: 20,
} as const;

function sameCode(item: PossibleDuplicate): number {
  return item.reasons.includes("SAME_CREDIT_CODE") ? 1 : 0;
}

/**
 * Merges the customers found by credit code (score 1) and by similar name (score = similarity)
 * into one list, best first: score descending, a same credit code before an equal name score,
 * then customer id; one entry per customer with every reason that found it.
 */
export function rankPossibleDuplicates(
  sameCreditCode: CustomerView[],
  similarNames: { customer: CustomerView; similarity: number }[],
): PossibleDuplicate[] {
  const byId = new Map<number, PossibleDuplicate>();
  for (const customer of sameCreditCode) {
    byId.set(customer.id, { customer, score: 1, reasons: ["SAME_CREDIT_CODE"] });
  }
  for (const { customer, similarity } of similarNames) {
    const found = byId.get(customer.id);
    if (found) found.reasons.push("SIMILAR_NAME");
    else byId.set(customer.id, { customer, score: similarity, reasons: ["SIMILAR_NAME"] });
  }
  return [...byId.values()]
    .sort((a, b) => b.score - a.score || sameCode(b) - sameCode(a) || a.customer.id - b.customer.id)
    .slice(0, POSSIBLE_DUPLICATES.maxItems);
}
