/** Where a customer or company comes from, with its customer-code prefix (contract section 3). */
export const SOURCES = ["MANUAL", "RB", "ERP"] as const;

export type Source = typeof SOURCES[number];

export const SOURCE_PREFIX: Record<Source, string> = { MANUAL: "MN", RB: "RB", ERP: "ERP" };
