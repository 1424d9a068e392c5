-- Sync health on /metrics (ADR 0131): per source and status, the rows of the last window and the
-- newest row. With this index both are index-only range scans of (source, status, synced_at), so
-- a scrape costs the same whatever the table's size. `if not exists` lets an operator build it
-- beforehand with `create index concurrently` on a large table (migrations run in a transaction).
create index if not exists idx_external_sync_source_status_synced
  on external_system_sync (source, sync_status, synced_at);
