import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { type CreateCustomerInput } from "../../domain/customer/customer.ts";
import type { Source } from "../../domain/shared/source.ts";
import { cacheKeys } from "../../infrastructure/cache/cache.ts";
import { listCustomerIdsOfCompanies } from "../../infrastructure/postgres/company_repository.ts";
import { findCustomerDomains } from "../../infrastructure/postgres/customer_repository.ts";
import type { TransactionSql } from "../../infrastructure/postgres/database.ts";
import {
  findSucceededCustomerIds,
  insertSyncRecords,
} from "../../infrastructure/postgres/external_sync_repository.ts";
import { isRetryable } from "../../infrastructure/postgres/errors.ts";
import { AppError } from "../../shared/errors.ts";
import { logger } from "../../shared/logger.ts";
import type { CreateCustomerDeps } from "./create_customer.ts";
import { parseCreateCustomerInput } from "./create_customer_schema.ts";
import {
  customerSource,
  importedElsewhere,
  importKeyOf,
  replayOfDuplicate,
  writeNewCustomer,
} from "./customer_writes.ts";
import {
  type BatchItemOutcome,
  type BatchState,
  failRow,
  newState,
  type PendingRow,
} from "./customer_batch_state.ts";
import { isSetBased, writeSetBased } from "./write_batch_set_based.ts";
export type { BatchItemOutcome } from "./customer_batch_state.ts";

/** The command of createCustomerBatch: create commands (normalised import rows) of one user. */
export interface CreateCustomerBatchCommand {
  user: CurrentUser;
  inputs: CreateCustomerInput[];
  /**
   * The caller has just skipped the commands whose (source, remoteId) succeeded (the import's page
   * lookup): no lookup again. A success that lands meanwhile still becomes a replay through the
   * conflict it causes.
   */
  replaysChecked?: boolean;
}

/** Attempts of a batch whose transaction Postgres aborted (deadlock, serialization). */
const ATTEMPTS = 3;

/** One command in its own savepoint: a failure rolls back its writes only (ADR 0070). */
async function writeOneByOne(
  tx: TransactionSql,
  user: CurrentUser,
  row: PendingRow,
  state: BatchState,
): Promise<void> {
  try {
    const written = await tx.savepoint((sp) => writeNewCustomer(sp, user, row.body));
    state.outcomes[row.index] = { status: "CREATED", customerId: written.customerId };
    if (written.companyChanged) {
      for (const id of await listCustomerIdsOfCompanies(tx, [written.companyId])) {
        if (id !== written.customerId) state.staleCustomerIds.add(id);
      }
    }
  } catch (error) {
    if (isRetryable(error)) throw error;
    // An earlier row of this batch, or a concurrent import, created the record: a replay.
    const replay = await replayOfDuplicate(tx, user, importKeyOf(row.body), error);
    if (replay) {
      state.outcomes[row.index] = { status: "REPLAYED", customerId: replay.id };
      return;
    }
    failRow(state, user, row.input, row.index, error);
  }
}

/** Earlier successes of the commands' (source, remoteId): replays, or 403 when now invisible. */
async function findReplays(
  deps: CreateCustomerDeps,
  user: CurrentUser,
  rows: PendingRow[],
): Promise<Map<number, { customerId: number } | { error: AppError }>> {
  const replays = new Map<number, { customerId: number } | { error: AppError }>();
  const bySource = new Map<Source, PendingRow[]>();
  for (const row of rows) {
    if (row.body.remoteId === undefined) continue;
    const source = customerSource(row.body);
    bySource.set(source, [...(bySource.get(source) ?? []), row]);
  }
  for (const [source, sourceRows] of bySource) {
    const succeeded = await findSucceededCustomerIds(
      deps.db.sql,
      source,
      sourceRows.map((row) => row.body.remoteId!),
    );
    if (succeeded.size === 0) continue;
    const domains = await findCustomerDomains(deps.db.sql, [...succeeded.values()]);
    for (const row of sourceRows) {
      const customerId = succeeded.get(row.body.remoteId!);
      const domain = customerId === undefined ? undefined : domains.get(customerId);
      if (customerId === undefined || domain === undefined) continue;
      replays.set(
        row.index,
        BusinessDomainGuard.canSee(user, domain) ? { customerId } : { error: importedElsewhere() },
      );
    }
  }
  return replays;
}

/**
 * Creates many customers (normalised import rows) with the outcome createCustomer would give each
 * one, in shared transactions (ADR 0070): a valid command is written set-based with the others;
 * if that fails, each command runs in its own savepoint so a bad one rolls back alone. Every
 * failed command gets exactly one FAILED sync row, written in the batch's transaction (or after
 * it, when the transaction itself fails). Cache invalidation and metrics follow the commit.
 */
export async function createCustomerBatch(
  deps: CreateCustomerDeps,
  command: CreateCustomerBatchCommand,
): Promise<BatchItemOutcome[]> {
  const { user, inputs } = command;
  BusinessDomainGuard.requireAny(user);
  const preFailures: { index: number; error: unknown }[] = [];
  let pending: PendingRow[] = [];
  inputs.forEach((input, index) => {
    try {
      const body = parseCreateCustomerInput(input);
      BusinessDomainGuard.requireDomain(user, body.customer.businessDomain);
      pending.push({ index, input, body });
    } catch (error) {
      preFailures.push({ index, error });
    }
  });
  const replayed = new Map<number, number>();
  const replays = command.replaysChecked ? new Map() : await findReplays(deps, user, pending);
  pending = pending.filter((row) => {
    const replay = replays.get(row.index);
    if (!replay) return true;
    if ("customerId" in replay) replayed.set(row.index, replay.customerId);
    else preFailures.push({ index: row.index, error: replay.error });
    return false;
  });

  let state: BatchState = newState(inputs.length);
  let fellBack = false;
  for (let attempt = 1;; attempt++) {
    state = newState(inputs.length);
    for (const [index, customerId] of replayed) {
      state.outcomes[index] = { status: "REPLAYED", customerId };
    }
    for (const { index, error } of preFailures) failRow(state, user, inputs[index], index, error);
    try {
      await deps.db.sql.begin(async (tx) => {
        const setBased = pending.filter((row) => isSetBased(row.body));
        let oneByOne = pending.filter((row) => !isSetBased(row.body));
        if (setBased.length > 0) {
          try {
            await tx.savepoint((sp) => writeSetBased(sp, user, setBased, state));
          } catch (error) {
            if (isRetryable(error)) throw error;
            // Some row conflicts (or a concurrent import raced us): find it row by row.
            // writeSetBased records outcomes only once all its statements succeeded.
            fellBack = true;
            oneByOne = pending;
          }
        }
        for (const row of oneByOne) await writeOneByOne(tx, user, row, state);
        await insertSyncRecords(tx, state.failures);
      });
      break;
    } catch (error) {
      if (isRetryable(error) && attempt < ATTEMPTS) continue;
      // The transaction failed as a whole: none of its writes remain, so every command failed.
      logger.error("customer batch failed", {
        rows: inputs.length,
        error: error instanceof Error ? error.message : String(error),
      });
      state = newState(inputs.length);
      for (const [index, customerId] of replayed) {
        state.outcomes[index] = { status: "REPLAYED", customerId };
      }
      for (const { index, error: cause } of preFailures) {
        failRow(state, user, inputs[index], index, cause);
      }
      for (const row of pending) failRow(state, user, row.input, row.index, error);
      try {
        await insertSyncRecords(deps.db.sql, state.failures);
      } catch (writeError) {
        logger.error("could not record the failed syncs of a batch", {
          rows: state.failures.length,
          error: (writeError as Error).message,
        });
        state.failures = [];
      }
      break;
    }
  }

  if (state.staleCustomerIds.size > 0) {
    // Companies' data changed: cached details of their other customers show the old values.
    await deps.cache.invalidate(...[...state.staleCustomerIds].map(cacheKeys.customer));
  }
  recordMetrics(deps, pending, state);
  const outcomes = state.outcomes as BatchItemOutcome[];
  logger.info("customer batch written", {
    rows: inputs.length,
    created: outcomes.filter((outcome) => outcome.status === "CREATED").length,
    replayed: outcomes.filter((outcome) => outcome.status === "REPLAYED").length,
    failed: outcomes.filter((outcome) => outcome.status === "FAILED").length,
    rowByRow: fellBack,
  });
  return outcomes;
}

function recordMetrics(deps: CreateCustomerDeps, pending: PendingRow[], state: BatchState) {
  if (!deps.metrics) return;
  const created = new Map<string, number>();
  for (const row of pending) {
    if (state.outcomes[row.index]?.status !== "CREATED" || row.body.remoteId === undefined) {
      continue;
    }
    const source = customerSource(row.body);
    created.set(source, (created.get(source) ?? 0) + 1);
  }
  for (const [source, count] of created) deps.metrics.recordSyncOutcome(source, "SUCCESS", count);
  const failed = new Map<string, number>();
  for (const record of state.failures) {
    failed.set(record.source, (failed.get(record.source) ?? 0) + 1);
  }
  for (const [source, count] of failed) deps.metrics.recordSyncOutcome(source, "FAILED", count);
}
