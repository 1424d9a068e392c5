/** One field's value before and after a change. */
export interface FieldChange {
  old: unknown;
  new: unknown;
}

/** One entry of a customer's history (contract §10.7). */
export interface CustomerHistoryEntry {
  id: number;
  eventType: string;
  occurredAt: string;
  /** null for events written before operators were recorded (unknown, not guessed). */
  operationUid: string | null;
  operationName: string | null;
  traceId: string | null;
  changes?: Record<string, FieldChange>;
  /** Membership events: the group and whether the customer joined or left it. */
  groupId?: number;
  membership?: "ADDED" | "REMOVED";
  /** Merge events: which customer was merged into which. */
  sourceCustomerId?: number;
  targetCustomerId?: number;
}

/** A stored event as the history reads it (a membership payload trimmed to this customer). */
export interface StoredEvent {
  id: number;
  eventType: string;
  occurredAt: Date;
  operationUid: string | null;
  operationName: string | null;
  traceId: string | null;
  payload: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Normalises recorded changes; events written before §10.7 said `{from, to}`. */
function changesOf(raw: unknown): Record<string, FieldChange> | undefined {
  if (!isRecord(raw)) return undefined;
  const changes: Record<string, FieldChange> = {};
  for (const [field, value] of Object.entries(raw)) {
    if (!isRecord(value)) continue;
    changes[field] = "old" in value || "new" in value
      ? { old: value.old ?? null, new: value.new ?? null }
      : { old: value.from ?? null, new: value.to ?? null };
  }
  return changes;
}

/** The history entry of a stored event, seen from the customer whose history is read. */
export function historyEntryOf(event: StoredEvent, customerId: number): CustomerHistoryEntry {
  const entry: CustomerHistoryEntry = {
    id: event.id,
    eventType: event.eventType,
    occurredAt: event.occurredAt.toISOString(),
    operationUid: event.operationUid,
    operationName: event.operationName,
    traceId: event.traceId,
  };
  const payload = event.payload;
  switch (event.eventType) {
    case "CustomerUpdated":
      entry.changes = changesOf(payload.changes) ?? {};
      break;
    case "CustomerStatusChanged":
      entry.changes = changesOf(payload.changes) ??
        { status: { old: payload.from ?? null, new: payload.to ?? null } };
      break;
    case "CustomerGroupMembersReplaced":
      entry.groupId = Number(payload.groupId);
      entry.membership = payload.added ? "ADDED" : "REMOVED";
      break;
    case "CustomerMerged":
      entry.sourceCustomerId = Number(payload.sourceCustomerId);
      entry.targetCustomerId = Number(payload.targetCustomerId);
      if (entry.sourceCustomerId === customerId) {
        entry.changes = { mergedIntoId: { old: null, new: entry.targetCustomerId } };
      }
      break;
  }
  return entry;
}
