-- GIN indexes buffer new entries in a pending list that every search scans linearly until
-- VACUUM merges it. At the default 4 MB limit, a freshly written batch of ~10 000 customers made
-- each keyword search scan 3 ms of pending list per index (ADR 0062). 256 kB keeps the batching
-- for writes and bounds that scan to a few hundred entries.
alter index idx_customer_name_trgm set (gin_pending_list_limit = 256);
alter index idx_customer_code_trgm set (gin_pending_list_limit = 256);
