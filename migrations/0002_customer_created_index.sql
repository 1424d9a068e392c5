-- Lists of users with several domains (an admin has all four) filter with
-- `business_domain = any(...)`, which the (business_domain, created_at) indexes cannot return in
-- created_at order: Postgres read every match and sorted it, 1.1 s for a common keyword over a
-- million customers. Walking this index newest-first and filtering stops after one page (ADR 0062).
-- Built inside the migration's transaction (no CONCURRENTLY): about 1.5 s per million customers,
-- during which customer writes wait.
create index idx_customer_created on customer (created_at desc, id desc);
