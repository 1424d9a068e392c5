import { type Source, SOURCE_PREFIX } from "../shared/source.ts";

/**
 * SourcePrefixStrategy (contract section 3): `PREFIX-externalCode` when an external code is
 * given, else `PREFIX-` and an 8-digit number from the `customer_code_seq` sequence.
 */
export const SourcePrefixStrategy = {
  /** True when the code needs a sequence number (no external code). */
  needsSequence(externalCode?: string | null): boolean {
    return !externalCode;
  },

  /** The customer code for the source and external code (or sequence number). */
  customerCode(source: Source, externalCode?: string | null, sequenceNumber?: number): string {
    const prefix = SOURCE_PREFIX[source];
    if (externalCode) return `${prefix}-${externalCode}`;
    if (sequenceNumber === undefined || !Number.isSafeInteger(sequenceNumber)) {
      throw new Error("SourcePrefixStrategy needs a sequence number without an external code");
    }
    return `${prefix}-${String(sequenceNumber).padStart(8, "0")}`;
  },
};
