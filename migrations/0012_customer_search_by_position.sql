-- Keyword matches split by where the keyword starts (ADR 0116). A key holds a keyword either at
-- its start (the name starts with it), at the start of the code, or further inside the name or
-- the code. The first two are ranges of an ordered index, read index-only with every sort key, so
-- `Harbor` (11 500 names starting with it) or `MN-0000` (9 999 codes) are read as index entries,
-- not collected from a trigram bitmap and the table at about 2 us a row. Only the rest is looked
-- up by trigrams: the key without the first character of the name and of the code, where
-- `Harbor`, `MN-0000` or `Pacific Freight` have almost no candidates.
--
-- The domain leads both ranges: an admin's search reads four ranges, a one-domain user's one.
create index if not exists idx_customer_search_name_prefix on customer
  (business_domain, search_key text_pattern_ops)
  include (created_at, customer_name, customer_code, id);
-- The code's range holds the key as well: a code that starts with the keyword is left to the
-- name's range when the name does too, tested on the stored key rather than by folding the name.
create index if not exists idx_customer_search_code_prefix on customer
  (business_domain, lower(customer_code) text_pattern_ops)
  include (created_at, customer_name, customer_code, id, search_key);

-- The infix key: `substr(k, 2)` of the folded name and of the folded code, around the key's
-- separator. A keyword is inside the name or the code after their first character exactly when it
-- is in this key (the separator is in no keyword matched this way). The table-wide index serves
-- admins (contract §3: a trigram index on name and code); one per seeded domain serves a
-- one-domain user (as migration 0011 did for the whole key).
create index if not exists idx_customer_search_infix_trgm on customer
  using gin ((substr(lower(customer_name), 2) || chr(31) || substr(lower(customer_code), 2))
    gin_trgm_ops) with (gin_pending_list_limit = 256);
create index if not exists idx_customer_search_infix_general_warehousing on customer
  using gin ((substr(lower(customer_name), 2) || chr(31) || substr(lower(customer_code), 2))
    gin_trgm_ops) with (gin_pending_list_limit = 256)
  where business_domain = 'GENERAL_WAREHOUSING';
create index if not exists idx_customer_search_infix_cold_chain on customer
  using gin ((substr(lower(customer_name), 2) || chr(31) || substr(lower(customer_code), 2))
    gin_trgm_ops) with (gin_pending_list_limit = 256)
  where business_domain = 'COLD_CHAIN';
create index if not exists idx_customer_search_infix_bonded_warehousing on customer
  using gin ((substr(lower(customer_name), 2) || chr(31) || substr(lower(customer_code), 2))
    gin_trgm_ops) with (gin_pending_list_limit = 256)
  where business_domain = 'BONDED_WAREHOUSING';
create index if not exists idx_customer_search_infix_cross_border on customer
  using gin ((substr(lower(customer_name), 2) || chr(31) || substr(lower(customer_code), 2))
    gin_trgm_ops) with (gin_pending_list_limit = 256)
  where business_domain = 'CROSS_BORDER';

-- The whole key's trigram indexes served the same lookups with every match as a candidate. Each
-- written customer went into two of them; it now goes into two infix ones and two b-trees.
drop index if exists idx_customer_search_trgm;
drop index if exists idx_customer_search_trgm_general_warehousing;
drop index if exists idx_customer_search_trgm_cold_chain;
drop index if exists idx_customer_search_trgm_bonded_warehousing;
drop index if exists idx_customer_search_trgm_cross_border;
