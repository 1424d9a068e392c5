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

-- Possible duplicates are searched within one domain, never across (contract §10.6). One partial
-- index per domain (the four of BUSINESS_DOMAINS; a new domain needs its own) keeps each search to
-- its domain's entries: on a million seeded customers, 3 to 8 times faster than one index over
-- every domain, whose common trigrams match thousands of other domains' rows (ADR 0101). Together
-- they are as large, and as costly to write, as one index. Terminated (and so merged) customers
-- are never candidates and are left out. Built inside the migration's transaction: customer
-- writes wait.
create index idx_customer_name_key_trgm_general on customer
  using gin (customer_name_key(customer_name) gin_trgm_ops) with (gin_pending_list_limit = 256)
  where status <> 'TERMINATED' and business_domain = 'GENERAL_WAREHOUSING';
create index idx_customer_name_key_trgm_cold on customer
  using gin (customer_name_key(customer_name) gin_trgm_ops) with (gin_pending_list_limit = 256)
  where status <> 'TERMINATED' and business_domain = 'COLD_CHAIN';
create index idx_customer_name_key_trgm_bonded on customer
  using gin (customer_name_key(customer_name) gin_trgm_ops) with (gin_pending_list_limit = 256)
  where status <> 'TERMINATED' and business_domain = 'BONDED_WAREHOUSING';
create index idx_customer_name_key_trgm_cross on customer
  using gin (customer_name_key(customer_name) gin_trgm_ops) with (gin_pending_list_limit = 256)
  where status <> 'TERMINATED' and business_domain = 'CROSS_BORDER';

-- A merged customer points at the customer it was merged into (ADR 0102). Nullable without a
-- default: adding it does not rewrite the table.
alter table customer add column merged_into_id bigint references customer (id);
