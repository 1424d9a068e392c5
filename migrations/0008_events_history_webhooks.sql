-- Contract §10.7: events carry their operator, customer history reads them, webhooks deliver them.

-- Events written before this migration did not record who made them: their operator stays NULL
-- (shown as unknown by the history), never guessed from today's customer row.
alter table domain_event
  add column operation_uid text,
  add column operation_name text,
  -- The business domain of the aggregate when the event was written (webhook domain filters).
  add column business_domain text,
  -- Set once the relay has recorded a delivery for every webhook the event matches. Earlier
  -- events take the migration's time without a table rewrite (a constant default is stored once
  -- in the catalog): no webhook existed to want them, so the relay never picks them up. Their
  -- published_at stays NULL: they were never published to anyone. An UPDATE of every row instead
  -- held writes for ~30 s per million events (ADR 0121).
  add column dispatched_at timestamptz default now();
alter table domain_event alter column dispatched_at drop default;

create index idx_domain_event_undispatched on domain_event (id) where dispatched_at is null;

-- Customer history: a replacement's event lists the customers it added and removed (up to
-- 20 000 ids). These find the ones naming a customer without reading every payload, one per list
-- so the history knows which without reading the payload either. fastupdate off: a pending list
-- of ~20 000 entries per large replacement made every history read scan it (ADR 0121).
create index idx_domain_event_members_added on domain_event
  using gin ((payload -> 'addedCustomerIds') jsonb_path_ops) with (fastupdate = off)
  where event_type = 'CustomerGroupMembersReplaced';
create index idx_domain_event_members_removed on domain_event
  using gin ((payload -> 'removedCustomerIds') jsonb_path_ops) with (fastupdate = off)
  where event_type = 'CustomerGroupMembersReplaced';
-- A merge is recorded on its target; its source finds it here.
create index idx_domain_event_merge_source on domain_event ((payload ->> 'sourceCustomerId'), id)
  where event_type = 'CustomerMerged';

create table webhook (
  id bigint generated always as identity primary key,
  url text not null,
  event_types text[] not null,
  -- NULL: every business domain.
  business_domains text[],
  description text,
  -- AES-GCM: 12-byte IV followed by the ciphertext and tag of the secret (WEBHOOK_SECRET_KEY).
  secret_ciphertext bytea not null,
  -- Events with an id up to this one were written before the webhook and are not sent to it.
  start_event_id bigint not null,
  -- A relay instance holds the webhook's deliveries until this time (see ADR 0120).
  lease_owner text,
  lease_until timestamptz,
  operation_uid text not null,
  operation_name text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table webhook_delivery (
  id bigint generated always as identity primary key,
  webhook_id bigint not null references webhook (id) on delete cascade,
  event_id bigint not null references domain_event (id),
  status text not null default 'PENDING' check (status in ('PENDING', 'DELIVERED', 'FAILED')),
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_attempt_at timestamptz,
  last_response_status int,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (webhook_id, event_id)
);

-- The relay's head-of-line lookup: a webhook's oldest pending delivery.
create index idx_webhook_delivery_pending on webhook_delivery (webhook_id, event_id)
  where status = 'PENDING';
-- Whether an event still waits for a webhook (publishing, relay lag).
create index idx_webhook_delivery_undelivered on webhook_delivery (event_id)
  where status <> 'DELIVERED';
create index idx_webhook_delivery_log on webhook_delivery (webhook_id, id);
create index idx_webhook_delivery_log_status on webhook_delivery (webhook_id, status, id);
