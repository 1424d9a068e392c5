import { AppError } from "../../shared/errors.ts";

/** Customer lifecycle states (contract section 3). */
export const CUSTOMER_STATUSES = ["PENDING", "ACTIVE", "SUSPENDED", "TERMINATED"] as const;

export type CustomerStatus = typeof CUSTOMER_STATUSES[number];

const TRANSITIONS: Record<CustomerStatus, readonly CustomerStatus[]> = {
  PENDING: ["ACTIVE", "TERMINATED"],
  ACTIVE: ["SUSPENDED", "TERMINATED"],
  SUSPENDED: ["ACTIVE", "TERMINATED"],
  TERMINATED: [],
};

/** True when the status machine allows going from `from` to `to`. */
export function canTransition(from: CustomerStatus, to: CustomerStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** 409 INVALID_STATUS_TRANSITION unless the machine allows `from -> to`. */
export function assertTransition(from: CustomerStatus, to: CustomerStatus): void {
  if (!canTransition(from, to)) {
    throw new AppError(
      "INVALID_STATUS_TRANSITION",
      `status cannot change from ${from} to ${to}` +
        (TRANSITIONS[from].length ? ` (allowed: ${TRANSITIONS[from].join(", ")})` : " (final)"),
      { extensions: { from, to } },
    );
  }
}
