import type { Queryable } from "./database.ts";

/**
 * Set-based demo data (`deno task seed`): every row of a batch comes from one
 * `insert ... select ... from generate_series`, so a million customers are a few dozen statements.
 * Values are derived from the row number through a multiplicative hash, so they look mixed but a
 * run is reproducible apart from its tag.
 */

/** The word lists demo names are made of (they live with the seed script). */
export interface DemoWords {
  citiesCn: readonly string[];
  brandsCn: readonly string[];
  industriesCn: readonly string[];
  brandsEn: readonly string[];
  industriesEn: readonly string[];
  suffixesEn: readonly string[];
  surnames: readonly string[];
  givenNames: readonly string[];
}

/** A role-to-domain mapping row: match type, match value, domain code (or `*`). */
export type DemoRoleMapping = readonly [string, string, string];

/** Deletes every row the seed writes (and any other business data), restarting the sequences. */
export async function resetDemoData(sql: Queryable): Promise<void> {
  // Webhooks stay registered; their deliveries of the deleted events go with them.
  await sql`truncate customer_group_member, customer_group, external_system_sync, webhook_delivery,
    domain_event, customer, company restart identity`;
  // Event ids start again at 1: a webhook's "events after me" position must start again too.
  await sql`update webhook set start_event_id = 0`;
  await sql`alter sequence customer_code_seq restart`;
  await sql`alter sequence company_code_seq restart`;
}

/** A hash of the row number `n` in 0..2^32, the source of every pseudo-random choice. */
const HASH = "(n::bigint * 2654435761 % 4294967296)";

/**
 * The word columns of a demo name, picked from the word lists by the row's hash `h`; the divisors
 * decide how often a word changes along `n` (companies and customers use different ones).
 */
function wordColumns(
  sql: Queryable,
  words: DemoWords,
  every: { city: number; brand: number; industry: number },
) {
  const pick = (words: readonly string[], divisor: number) =>
    sql`(${sql.array(words as string[])}::text[])[1 + (h / ${sql.unsafe(String(divisor))}) % ${
      sql.unsafe(String(words.length))
    }]`;
  return sql`${pick(words.citiesCn, every.city)} as city,
    ${pick(words.brandsCn, every.brand)} as brand_cn,
    ${pick(words.industriesCn, every.industry)} as industry_cn,
    ${pick(words.brandsEn, every.brand)} as brand_en,
    ${pick(words.industriesEn, every.industry)} as industry_en,
    ${pick(words.suffixesEn, 7)} as suffix_en,
    ${pick(words.surnames, 11)} as surname,
    ${pick(words.givenNames, 13)} as given,
    ${pick(words.givenNames, 17)} as given2`;
}

/**
 * Inserts companies `from..to` of a run: 70 % MANUAL (`MN-` + company_code_seq), 20 % RB and
 * 10 % ERP (`PREFIX-sourceRefId`, like Company.newCompanyCode). Answers the rows written.
 */
export async function insertDemoCompanies(
  sql: Queryable,
  run: { tag: string; from: number; to: number; words: DemoWords },
): Promise<number> {
  const result = await sql`
    insert into company (company_code, company_name, source, source_ref_id, address,
      contact_name, contact_phone)
    select
      case when s.source = 'MANUAL'
        then 'MN-' || lpad(nextval('company_code_seq')::text, 8, '0')
        else (case s.source when 'RB' then 'RB-' else 'ERP-' end) || s.ref end,
      s.name, s.source, s.ref, s.city || '市' || (1 + s.h % 300) || '号', s.contact, s.phone
    from (
      select n, h, source,
        case when source = 'MANUAL' then null else ${run.tag} || '-C' || n end as ref,
        case when h % 2 = 0
          then city || brand_cn || industry_cn || '有限公司'
          else brand_en || ' ' || industry_en || ' ' || suffix_en || ' (' || city || ')'
        end as name,
        city,
        surname || given || given2 as contact,
        '021' || lpad((h % 100000000)::text, 8, '0') as phone
      from (
        select n, h,
          case when h % 10 < 7 then 'MANUAL' when h % 10 < 9 then 'RB' else 'ERP' end as source,
          ${wordColumns(sql, run.words, { city: 10, brand: 300, industry: 9000 })}
        from (
          select n, ${sql.unsafe(HASH)} as h
          from generate_series(${run.from}::int, ${run.to}::int) as n
        ) hashed
      ) picked
    ) s`;
  return result.count;
}

/**
 * Inserts customers `from..to` of a run, spread over the run's companies (ids >= firstCompanyId):
 * 60 % MANUAL (`MN-` + customer_code_seq), 30 % RB, 10 % ERP (`PREFIX-externalCode`); statuses
 * 50 % ACTIVE, 25 % PENDING, 15 % SUSPENDED, 10 % TERMINATED; four domains; created over a year.
 */
export async function insertDemoCustomers(
  sql: Queryable,
  run: {
    tag: string;
    from: number;
    to: number;
    total: number;
    firstCompanyId: number;
    companyCount: number;
    words: DemoWords;
  },
): Promise<number> {
  const result = await sql`
    insert into customer (customer_code, customer_name, company_id, business_domain, status,
      source, external_code, contact_name, contact_phone, remark, operation_uid, operation_name,
      created_at, updated_at)
    select
      case when s.source = 'MANUAL'
        then 'MN-' || lpad(nextval('customer_code_seq')::text, 8, '0')
        else (case s.source when 'RB' then 'RB-' else 'ERP-' end) || s.external_code end,
      s.name, c.id, s.domain, s.status, s.source, s.external_code, s.contact, s.phone,
      case when s.h % 7 = 0 then '演示数据 demo record ' || s.n end,
      'seed', 'Demo seed', s.created_at, s.created_at
    from (
      select n, h, source,
        case when source = 'MANUAL' then null else ${run.tag} || '-' || lpad(n::text, 8, '0')
        end as external_code,
        case (h / 10) % 20
          when 0 then 'CROSS_BORDER' when 1 then 'CROSS_BORDER' when 2 then 'CROSS_BORDER'
          when 3 then 'BONDED_WAREHOUSING' when 4 then 'BONDED_WAREHOUSING'
          when 5 then 'BONDED_WAREHOUSING' when 6 then 'BONDED_WAREHOUSING'
          when 7 then 'COLD_CHAIN' when 8 then 'COLD_CHAIN' when 9 then 'COLD_CHAIN'
          when 10 then 'COLD_CHAIN' when 11 then 'COLD_CHAIN'
          else 'GENERAL_WAREHOUSING' end as domain,
        case when (h / 200) % 20 < 10 then 'ACTIVE' when (h / 200) % 20 < 15 then 'PENDING'
          when (h / 200) % 20 < 18 then 'SUSPENDED' else 'TERMINATED' end as status,
        case when h % 3 = 0
          then brand_en || ' ' || industry_en || ' ' || suffix_en || ' ' || n
          else city || brand_cn || industry_cn || case when h % 3 = 1 then '有限公司' else '商行' end
            || ' ' || n
        end as name,
        surname || given || given2 as contact,
        '1' || (3 + (h / 23) % 7) || lpad((h % 1000000000)::text, 9, '0') as phone,
        -- Creation times grow with n over the last year, as ids do in a real table; this also
        -- keeps the (domain, created_at) indexes append-only during the load.
        now() - make_interval(secs => (${run.total}::int - n) * ${
    Math.floor((365 * 24 * 3600) / Math.max(run.total, 1))
  }::int) as created_at
      from (
        select n, h,
          case when h % 10 < 6 then 'MANUAL' when h % 10 < 9 then 'RB' else 'ERP' end as source,
          ${wordColumns(sql, run.words, { city: 4000, brand: 90000, industry: 2900000 })}
        from (
          select n, ${sql.unsafe(HASH)} as h
          from generate_series(${run.from}::int, ${run.to}::int) as n
        ) hashed
      ) picked
    ) s
    join (
      select id, row_number() over (order by id) - 1 as rn
      from company where id >= ${run.firstCompanyId}
    ) c on c.rn = (s.h / 31) % ${run.companyCount}
    order by s.n`;
  return result.count;
}

/** The id the next company will get (for spreading a run's customers over its companies). */
export async function nextCompanyId(sql: Queryable): Promise<number> {
  const [row] = await sql<{ id: number }[]>`select coalesce(max(id), 0) + 1 as id from company`;
  return row.id;
}

/**
 * Creates five groups per domain (skipping names a previous run made) and fills each with up to
 * `membersPerGroup` non-terminated customers of its domain. Answers groups and members written.
 */
export async function insertDemoGroups(
  sql: Queryable,
  options: { tag: string; membersPerGroup: number; groupNames: readonly string[] },
): Promise<{ groups: number; members: number }> {
  const groups = await sql<{ id: number }[]>`
    insert into customer_group (group_name, business_domain, max_member, description,
      operation_uid, operation_name)
    select g.name || ' ' || ${options.tag}, d.code, 200, 'Demo group ' || g.name, 'seed', 'Demo seed'
    from business_domain d
    cross join unnest(${
    sql.array(options.groupNames as string[])
  }::text[]) with ordinality as g(name, position)
    where d.status = 'ENABLED'
    on conflict do nothing
    returning id`;
  if (groups.length === 0) return { groups: 0, members: 0 };
  const members = await sql`
    insert into customer_group_member (group_id, customer_id, operation_uid)
    select g.id, picked.id, 'seed'
    from customer_group g
    cross join lateral (
      select c.id from customer c
      where c.business_domain = g.business_domain and c.status <> 'TERMINATED'
        and c.operation_uid = 'seed'
      order by c.id desc
      offset (g.id % 5) * ${options.membersPerGroup}
      limit least(${options.membersPerGroup}, g.max_member)
    ) picked
    where g.id = any(${sql.array(groups.map((group) => group.id))}::bigint[])
    on conflict do nothing`;
  return { groups: groups.length, members: members.count };
}

/**
 * Records sync history like the RB import writes it: a SUCCESS row for up to `limit` RB customers
 * of the run (remote id = external code) and a few FAILED rows of rejected remote records.
 */
export async function insertDemoSyncRecords(
  sql: Queryable,
  options: { tag: string; limit: number; failed: number },
): Promise<number> {
  const success = await sql`
    insert into external_system_sync (entity_type, entity_id, source, remote_id, business_domain,
      sync_status, operation_uid, synced_at)
    select 'CUSTOMER', id, 'RB', external_code, business_domain, 'SUCCESS', 'seed', created_at
    from customer
    where source = 'RB' and external_code like ${options.tag + "-%"}
    order by id
    limit ${options.limit}
    on conflict do nothing`;
  const failed = await sql`
    insert into external_system_sync (entity_type, source, remote_id, business_domain,
      sync_status, error_code, error_message, operation_uid)
    select 'CUSTOMER', 'RB', ${options.tag} || '-F' || n,
      case when n % 3 = 0 then 'UNKNOWN_DOMAIN' else 'COLD_CHAIN' end, 'FAILED',
      case when n % 3 = 0 then 'VALIDATION_FAILED' when n % 3 = 1 then 'FORBIDDEN'
        else 'COMPANY_NOT_FOUND' end,
      case when n % 3 = 0 then 'unknown business domain UNKNOWN_DOMAIN'
        when n % 3 = 1 then 'the operator holds no role for domain COLD_CHAIN'
        else 'company reference missing in the source record' end,
      'seed'
    from generate_series(1, ${options.failed}::int) as n`;
  return success.count + failed.count;
}

/** Adds example role-to-domain mappings (kept when they exist). Answers the rows written. */
export async function insertDemoRoleMappings(
  sql: Queryable,
  mappings: readonly DemoRoleMapping[],
): Promise<number> {
  const rows = mappings.map(([matchType, matchValue, domainCode]) => ({
    match_type: matchType,
    match_value: matchValue,
    domain_code: domainCode,
  }));
  const result = await sql`
    insert into role_domain_mapping ${sql(rows, "match_type", "match_value", "domain_code")}
    on conflict do nothing`;
  return result.count;
}

/**
 * Runs a bulk load with the customer table's secondary indexes and foreign keys dropped, then
 * recreates them from their own definitions (so new migrations are followed). Building an index
 * once is several times faster than maintaining it row by row. Call it inside a transaction:
 * DDL is transactional, so a failed load leaves the schema as it was.
 */
export async function withoutCustomerSecondaryIndexes<T>(
  tx: Queryable,
  load: () => Promise<T>,
): Promise<T> {
  const indexes = await tx<{ name: string; definition: string }[]>`
    select indexname as name, indexdef as definition from pg_indexes
    where schemaname = current_schema() and tablename = 'customer'
      and indexname not in (
        select conname from pg_constraint where conrelid = 'customer'::regclass
      )`;
  const foreignKeys = await tx<{ name: string; definition: string }[]>`
    select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
    where conrelid = 'customer'::regclass and contype = 'f'`;
  for (const fk of foreignKeys) await tx`alter table customer drop constraint ${tx(fk.name)}`;
  for (const index of indexes) await tx`drop index ${tx(index.name)}`;
  const result = await load();
  await tx`set local maintenance_work_mem = '256MB'`;
  for (const index of indexes) await tx.unsafe(index.definition);
  for (const fk of foreignKeys) {
    await tx.unsafe(`alter table customer add constraint "${fk.name}" ${fk.definition}`);
  }
  return result;
}

/**
 * Vacuums and analyzes after a load: statistics, so the first queries use the indexes, and the
 * visibility map, without which the keyword search's index-only walks read the table for every
 * entry (ADR 0069). Autovacuum would do both later, and only where it is on.
 */
export async function vacuumAnalyzeDemoTables(sql: Queryable): Promise<void> {
  await sql`vacuum (analyze) company, customer, customer_group, customer_group_member,
    external_system_sync`;
}
