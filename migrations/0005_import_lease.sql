-- At most one HTTP import in flight per user, across instances (contract §10.3, ADR 0092). A row
-- is a lease: taken with an insert-or-steal-if-expired, renewed while the import runs, deleted at
-- its end. An instance that dies mid-import leaves a lease that lapses at expires_at.
create table import_lease (
  operation_uid text primary key,
  token uuid not null,
  acquired_at timestamptz not null default now(),
  expires_at timestamptz not null
);
