import type { CurrentUser } from "../../domain/auth/current_user.ts";
import type { CreateCustomerInput } from "../../domain/customer/customer.ts";
import type { SyncRecordInput } from "../../infrastructure/postgres/external_sync_repository.ts";
import { isAppError } from "../../shared/errors.ts";
import type { CreateCustomerBody } from "./create_customer_schema.ts";
import { failedSyncRecord, failureOf } from "./customer_writes.ts";

/** The outcome of one command of a batch, in input order. */
export type BatchItemOutcome =
  | { status: "CREATED" | "REPLAYED"; customerId: number }
  | { status: "FAILED"; errorCode: string; unexpected: boolean };

/** A command of a batch still to write: its input position, raw input and parsed body. */
export interface PendingRow {
  index: number;
  input: CreateCustomerInput;
  body: CreateCustomerBody;
}

/** What the transaction of a batch decided; applied (metrics, cache) only after commit. */
export interface BatchState {
  outcomes: (BatchItemOutcome | undefined)[];
  failures: SyncRecordInput[];
  staleCustomerIds: Set<number>;
}

/** A fresh state for a batch of `size` commands (also after a rolled-back attempt). */
export function newState(size: number): BatchState {
  return { outcomes: new Array(size), failures: [], staleCustomerIds: new Set() };
}

/** Records a failed command: its outcome and, where it has a remote id, its FAILED sync row. */
export function failRow(
  state: BatchState,
  user: CurrentUser,
  input: unknown,
  index: number,
  error: unknown,
): void {
  const record = failedSyncRecord(user, input, error);
  if (record) state.failures.push(record);
  state.outcomes[index] = {
    status: "FAILED",
    errorCode: failureOf(error).code,
    unexpected: !isAppError(error),
  };
}
