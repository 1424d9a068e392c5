-- Keyword search at a million customers (ADR 0069).
--
-- One pre-folded key. `name ilike p or code ilike p` lowercased both columns and the pattern on
-- every row it checked, from a BitmapOr of two trigram indexes. `search_key like lower(p)` gives
-- the same answers (Postgres's ILIKE on UTF-8 is `lower()` of both sides, then LIKE) with a plain
-- LIKE recheck, about 4x cheaper per row. The separator U+001F cannot be matched across unless the
-- keyword holds it; such a keyword uses the ILIKE pair. The trigram index serves 3-character
-- keywords.
alter table customer add column if not exists search_key text
  generated always as (lower(customer_name) || chr(31) || lower(customer_code)) stored;
create index if not exists idx_customer_search_trgm on customer
  using gin (search_key gin_trgm_ops) with (gin_pending_list_limit = 256);
-- The search chooses its plan by the planner's estimate of a keyword's matches (ADR 0069): a
-- histogram of 1 000 keys resolves 0.1 % instead of 1 %.
alter table customer alter column search_key set statistics 1000;
drop index if exists idx_customer_name_trgm;
drop index if exists idx_customer_code_trgm;

-- Grams of the key (ADR 0069), each a necessary condition of a match; LIKE still decides:
-- - its bigrams: 2-character keywords make no trigram, so the trigram index could not narrow
--   `上海` (a scan of every customer);
-- - the 4-character windows of its runs of 4+ digits: digits make weak trigrams (`mn-0000` had
--   100 000 trigram candidates for 10 000 matches); a keyword's digit run lies inside a row's;
-- - one token for the business domain: a one-domain user's candidates come from the index, not
--   from heap rows of the other domains.
-- Every 4-gram of the key was measured too: they took the import below 3 000 rows/s.
create or replace function customer_search_bigrams(key text) returns text[]
  language sql immutable strict parallel safe
  as $$ select array(select substr(key, i, 2) from generate_series(1, char_length(key) - 1) i) $$;
create or replace function customer_search_digit_grams(key text) returns text[]
  language sql immutable strict parallel safe
  as $$ select array(select substr(m[1], i, 4) from regexp_matches(key, '([0-9]{4,})', 'g') m,
    generate_series(1, char_length(m[1]) - 3) i) $$;
-- Self-contained: Postgres 17 (the embedded PGlite) builds indexes under a search_path of
-- pg_catalog only, where the two functions above are not found.
create or replace function customer_search_grams(key text, domain text) returns text[]
  language sql immutable strict parallel safe
  as $$ select array(select substr(key, i, 2) from generate_series(1, char_length(key) - 1) i)
    || array(select substr(m[1], i, 4) from regexp_matches(key, '([0-9]{4,})', 'g') m,
      generate_series(1, char_length(m[1]) - 3) i)
    || (chr(1) || domain) $$;
create index if not exists idx_customer_search_grams on customer
  using gin (customer_search_grams(search_key, business_domain)) with (gin_pending_list_limit = 256);

-- The walk of a sort order (plan 2 of ADR 0063) read one table row per index entry to check the
-- keyword; with the domain and the key in the index it reads none, so a walk costs about a tenth
-- of sorting one match and can read far enough to skip the newest rows of an import of other
-- names. These replace the plain indexes of the same orders.
create index if not exists idx_customer_created_covering on customer
  (created_at desc, id desc) include (business_domain, search_key);
create index if not exists idx_customer_domain_created_covering on customer
  (business_domain, created_at desc, id desc) include (search_key);
create index if not exists idx_customer_name_covering on customer
  (customer_name, id) include (business_domain, search_key);
-- The code order's covering index is the unique constraint's own (one index fewer to write).
alter table customer drop constraint if exists customer_customer_code_key;
alter table customer add constraint customer_customer_code_key
  unique (customer_code) include (id, business_domain, search_key);
drop index if exists idx_customer_created;
drop index if exists idx_customer_domain_created;
drop index if exists idx_customer_name;
-- An index-only walk reads the table for rows written since the last vacuum (the visibility map):
-- vacuum after 1 % of the table was inserted, not the default 20 % (200 000 rows at a million,
-- all at the head of the `-createdAt` order).
alter table customer set (autovacuum_vacuum_insert_scale_factor = 0.01);
-- Names holding a caseless non-ASCII character (Chinese names: two thirds of a seeded million)
-- sort after every Latin name: a Chinese keyword walks only them, instead of first reading past
-- the Latin names, which cannot hold it.
create index if not exists idx_customer_name_non_ascii on customer
  (customer_name, id) include (business_domain, search_key) where search_key ~ '[^[:ascii:]]';
