-- A member replacement's event lists up to 20 000 ids (about 100 kB of jsonb). Postgres compresses
-- such a value with pglz by default, which took ~20 ms of the replacement's transaction; lz4 takes
-- ~1 ms at a similar size (ADR 0066). Only new rows are affected; payloads read back unchanged.
-- A server built without lz4 stores large payloads uncompressed instead (also ~1 ms).
do $$
begin
  alter table domain_event alter column payload set compression lz4;
exception when feature_not_supported then
  alter table domain_event alter column payload set storage external;
end
$$;
