-- Contract §10.4 and §10.6: Idempotency-Key storage, the possible-duplicate name index and merges.

-- One row per (user, key). The first request inserts it IN_PROGRESS (insert-on-conflict decides
-- which of two concurrent requests runs), then stores its answer COMPLETED for 24 hours (ADR 0100).
create table idempotency_key (
  user_id text not null,
  idempotency_key text not null check (char_length(idempotency_key) between 1 and 255),
  method text not null,
  path text not null,
  -- SHA-256 of the canonical JSON body: two bodies that differ only in key order or spacing match.
  request_fingerprint text not null,
  status text not null check (status in ('IN_PROGRESS', 'COMPLETED')),
  -- Who holds an IN_PROGRESS row: only that request may complete or release it.
  lock_token uuid not null,
  locked_at timestamptz not null default now(),
  response_status integer check (response_status between 100 and 499),
  -- Only Location, ETag and Content-Type: what a replay must repeat.
  response_headers jsonb,
  response_body bytea,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (user_id, idempotency_key),
  constraint idempotency_key_completed_has_answer
    check (status = 'IN_PROGRESS' or (response_status is not null and response_body is not null))
);

-- The background purge deletes expired rows oldest first in bounded batches.
create index idx_idempotency_key_expires on idempotency_key (expires_at);

-- The name as duplicate search compares it: NFKC, case-folded, whitespace collapsed and trimmed.
-- The same rule as normaliseCustomerName() in src/domain/customer/customer_name.ts, which
-- normalises the searched name; a test keeps the two equal (ADR 0101).
create function customer_name_key(name text) returns text
  language sql immutable strict parallel safe
  return btrim(regexp_replace(lower(normalize(name, NFKC)), '\s+', ' ', 'g'));

-- Terminated (and so merged) customers are never possible duplicates: the partial index leaves
-- them out and stays smaller. Built inside the migration's transaction: customer writes wait.
create index idx_customer_name_key_trgm on customer
  using gin (customer_name_key(customer_name) gin_trgm_ops)
  where status <> 'TERMINATED';
alter index idx_customer_name_key_trgm set (gin_pending_list_limit = 256);

-- A merged customer points at the customer it was merged into (ADR 0102). Nullable without a
-- default: adding it does not rewrite the table.
alter table customer add column merged_into_id bigint references customer (id);
