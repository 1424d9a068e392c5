-- Keyword matches by day of creation (ADR 0143). A `-createdAt` page walked the sort order until it
-- met the keyword's matches: after an import of 100 000 other names that walk read 100 000 index
-- entries first (about 30 ms). The grams index now also holds a token of the customer's UTC day
-- of creation, so a search takes one day's (or a few days') matches from the index, newest days
-- first, and reads only them: the import's day intersected with `logistics` costs about 3 ms of
-- index, an ordinary day well under 1 ms.
--
-- The token is chr(2) and the day number (UTC days since 1970-01-01); no other gram starts with
-- chr(2) (bigrams have two characters, digit grams four, the domain token starts with chr(1)).
-- `extract(epoch ...)` of a timestamptz does not depend on the session's time zone, so the
-- function is immutable as declared. Self-contained, as in migration 0010: Postgres 17 (the
-- embedded PGlite) builds indexes under a search_path of pg_catalog only.
create or replace function customer_search_grams(key text, domain text, created timestamptz)
  returns text[]
  language sql immutable strict parallel safe
  as $$ select array(select substr(key, i, 2) from generate_series(1, char_length(key) - 1) i)
    || array(select substr(m[1], i, 4) from regexp_matches(key, '([0-9]{4,})', 'g') m,
      generate_series(1, char_length(m[1]) - 3) i)
    || (chr(1) || domain)
    || (chr(2) || floor(extract(epoch from created) / 86400)::bigint::text) $$;
create index if not exists idx_customer_search_grams_by_day on customer
  using gin (customer_search_grams(search_key, business_domain, created_at))
  with (gin_pending_list_limit = 256);
drop index if exists idx_customer_search_grams;
drop function if exists customer_search_grams(text, text);
