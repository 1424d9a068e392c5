import { AppError } from "../../shared/errors.ts";
import type { CustomerStatus } from "./customer_status.ts";

/** What a merge decides on, for each of the two customers. */
export interface MergeParty {
  id: number;
  businessDomain: string;
  status: CustomerStatus;
  mergedIntoId: number | null;
}

/** Rules of merging a duplicate customer (the source) into the one kept (the target), §10.6. */
export const CustomerMerge = {
  /** 422 VALIDATION_FAILED (the contract's status for this case) for a merge into itself. */
  requireDistinct(targetId: number, sourceId: number): void {
    if (targetId === sourceId) {
      throw new AppError("VALIDATION_FAILED", `customer ${targetId} cannot be merged into itself`, {
        errors: [{ path: "sourceCustomerId", message: "must differ from the target customer id" }],
        status: 422,
      });
    }
  },

  /**
   * 422 DOMAIN_MISMATCH across business domains; 409 INVALID_STATUS_TRANSITION when the source
   * is already merged or terminated, or the target is: a terminated target would leave the
   * source merged into a dead record, and two crossing merges (A into B, B into A) into a cycle.
   */
  check(target: MergeParty, source: MergeParty): void {
    if (target.businessDomain !== source.businessDomain) {
      throw new AppError(
        "DOMAIN_MISMATCH",
        `customer ${source.id} is in ${source.businessDomain}, customer ${target.id} in ` +
          `${target.businessDomain}: only customers of one business domain can be merged`,
      );
    }
    for (const [role, party] of [["source", source], ["target", target]] as const) {
      if (party.mergedIntoId !== null) {
        throw new AppError(
          "INVALID_STATUS_TRANSITION",
          `${role} customer ${party.id} was already merged into customer ${party.mergedIntoId}`,
          { extensions: { from: party.status, to: "TERMINATED" } },
        );
      }
      if (party.status === "TERMINATED") {
        throw new AppError(
          "INVALID_STATUS_TRANSITION",
          `${role} customer ${party.id} is TERMINATED and cannot take part in a merge`,
          { extensions: { from: party.status, to: "TERMINATED" } },
        );
      }
    }
  },
};
