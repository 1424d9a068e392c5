-- Customer master data: the complete schema of contract section 3.
create extension if not exists pg_trgm;

create table business_domain (
  code text primary key check (code ~ '^[A-Z][A-Z0-9_]{1,63}$'),
  name text not null,
  status text not null default 'ENABLED' check (status in ('ENABLED', 'DISABLED')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

insert into business_domain (code, name) values
  ('GENERAL_WAREHOUSING', 'General warehousing'),
  ('COLD_CHAIN', 'Cold chain'),
  ('BONDED_WAREHOUSING', 'Bonded warehousing'),
  ('CROSS_BORDER', 'Cross-border');

create sequence company_code_seq;
create sequence customer_code_seq;

create table company (
  id bigint generated always as identity primary key,
  company_code text not null check (char_length(company_code) between 1 and 64),
  company_name text not null check (char_length(company_name) between 1 and 200),
  source text not null check (source in ('MANUAL', 'RB', 'ERP')),
  source_ref_id text check (source_ref_id ~ '^[A-Za-z0-9_-]{1,64}$'),
  unified_social_credit_code text check (char_length(unified_social_credit_code) = 18),
  address text,
  contact_name text,
  contact_phone text,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint company_company_code_key unique (company_code),
  constraint company_unified_social_credit_code_key unique (unified_social_credit_code),
  constraint company_source_ref_key unique (source, source_ref_id),
  constraint company_source_ref_required check (source = 'MANUAL' or source_ref_id is not null)
);

create table customer (
  id bigint generated always as identity primary key,
  customer_code text not null,
  customer_name text not null check (char_length(customer_name) between 1 and 200),
  company_id bigint not null references company (id),
  business_domain text not null references business_domain (code),
  status text not null default 'PENDING'
    check (status in ('PENDING', 'ACTIVE', 'SUSPENDED', 'TERMINATED')),
  source text not null check (source in ('MANUAL', 'RB', 'ERP')),
  external_code text,
  contact_name text,
  contact_phone text,
  remark text,
  operation_uid text not null,
  operation_name text not null,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint customer_customer_code_key unique (customer_code),
  constraint customer_name_code_key unique (customer_name, customer_code),
  constraint customer_source_external_code_key unique (source, external_code)
);

-- List filters are always restricted to the user's domains and sorted by creation (default).
create index idx_customer_domain_created on customer (business_domain, created_at desc, id desc);
create index idx_customer_domain_status_created
  on customer (business_domain, status, created_at desc, id desc);
create index idx_customer_source on customer (source, business_domain);
create index idx_customer_company on customer (company_id);
create index idx_customer_name on customer (customer_name, id);
-- Keyword search: case-insensitive substring (ILIKE '%k%') of name or code.
create index idx_customer_name_trgm on customer using gin (customer_name gin_trgm_ops);
create index idx_customer_code_trgm on customer using gin (customer_code gin_trgm_ops);

create table customer_group (
  id bigint generated always as identity primary key,
  group_name text not null check (char_length(group_name) between 1 and 100),
  business_domain text not null references business_domain (code),
  max_member integer not null default 200 check (max_member between 1 and 10000),
  description text,
  operation_uid text not null,
  operation_name text not null,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint customer_group_domain_name_key unique (business_domain, group_name)
);

create table customer_group_member (
  group_id bigint not null references customer_group (id) on delete cascade,
  customer_id bigint not null references customer (id),
  operation_uid text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (group_id, customer_id)
);

create index idx_group_member_customer on customer_group_member (customer_id);

create table external_system_sync (
  id bigint generated always as identity primary key,
  entity_type text not null check (entity_type in ('CUSTOMER', 'COMPANY')),
  entity_id bigint,
  source text not null check (source in ('MANUAL', 'RB', 'ERP')),
  remote_id text not null,
  -- Not a foreign key: a FAILED row records what the source sent, even an unknown domain.
  business_domain text,
  sync_status text not null check (sync_status in ('SUCCESS', 'FAILED')),
  error_code text,
  error_message text,
  trace_id text,
  operation_uid text,
  synced_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint external_system_sync_outcome check (
    (sync_status = 'SUCCESS' and entity_id is not null and error_code is null)
    or (sync_status = 'FAILED' and error_code is not null)
  )
);

create index idx_external_sync_source_remote on external_system_sync (source, remote_id);
create index idx_external_sync_entity on external_system_sync (entity_type, entity_id);
create index idx_external_sync_synced on external_system_sync (synced_at desc, id desc);
-- At most one success per remote record: a concurrent second import becomes a replay.
create unique index ux_external_sync_success
  on external_system_sync (entity_type, source, remote_id) where sync_status = 'SUCCESS';

create table role_domain_mapping (
  id bigint generated always as identity primary key,
  match_type text not null check (match_type in ('ROLE', 'POSITION', 'DEPARTMENT')),
  match_value text not null check (char_length(match_value) between 1 and 200),
  -- A domain code or '*' (every domain); not a foreign key because of '*'.
  domain_code text not null check (domain_code = '*' or domain_code ~ '^[A-Z][A-Z0-9_]{1,63}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint role_domain_mapping_key unique (match_type, match_value, domain_code)
);

create table domain_event (
  id bigint generated always as identity primary key,
  aggregate_type text not null,
  aggregate_id bigint not null,
  event_type text not null,
  payload jsonb not null,
  trace_id text,
  occurred_at timestamptz not null default now(),
  published_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index idx_domain_event_aggregate on domain_event (aggregate_type, aggregate_id, id);
create index idx_domain_event_unpublished on domain_event (id) where published_at is null;
