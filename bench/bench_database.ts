/**
 * The benchmark's own databases: a dedicated Postgres database (never the service's) and a
 * dedicated MariaDB database for the external source. Setup SQL lives here because it is test
 * data, not service behaviour.
 */
import mysql from "mysql2/promise";
import postgres from "postgres";

/** Postgres URL of `database` on the server of `adminUrl`. */
export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function assertName(database: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) {
    throw new Error(`database name must be a plain lower-case identifier, got ${database}`);
  }
}

/** Drops (forcing out sessions) and recreates a Postgres database. */
export async function recreatePostgresDatabase(adminUrl: string, database: string) {
  assertName(database);
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists ${database} with (force)`);
    await sql.unsafe(`create database ${database}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Customers in the database, or -1 when it or its schema does not exist. */
export async function countSeededCustomers(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from customer`;
    return row.n;
  } catch {
    return -1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The id range of the seeded customers (ids are contiguous in a fresh database). */
export async function customerIdRange(url: string): Promise<{ from: number; count: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ min: string; max: string }[]>`
      select min(id)::text as min, max(id)::text as max from customer`;
    const from = Number(row.min);
    return { from, count: Number(row.max) - from + 1 };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Ids of `count` customers of `domain` a group may hold (not TERMINATED). When the seed made
 * fewer (the quick run seeds 10 000 over four domains), the rest are added here, set-based, as
 * ACTIVE bench customers of the first company.
 */
export async function groupCandidates(
  url: string,
  domain: string,
  count: number,
): Promise<{ ids: number[]; added: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const eligible = () =>
      sql<{ id: string }[]>`
        select id::text from customer
        where business_domain = ${domain} and status <> 'TERMINATED'
        order by id limit ${count}`;
    let rows = await eligible();
    const missing = count - rows.length;
    if (missing > 0) {
      await sql`
        insert into customer (customer_code, customer_name, company_id, business_domain, status,
          source, operation_uid, operation_name)
        select 'BENCH-' || lpad(n::text, 8, '0'), 'Bench member ' || n,
          (select min(id) from company), ${domain}, 'ACTIVE', 'MANUAL', 'bench', 'Benchmark'
        from generate_series(
          (select count(*) from customer where customer_code like 'BENCH-%') + 1,
          (select count(*) from customer where customer_code like 'BENCH-%') + ${missing}::int
        ) as n`;
      await sql`analyze customer`;
      rows = await eligible();
    }
    return { ids: rows.map((row) => Number(row.id)), added: Math.max(missing, 0) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Plain MySQL URL of `database` on the server of `adminUrl`. */
export function mysqlDatabaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Drops and recreates a MariaDB database (the fixture loader then creates `rb_customer`). */
export async function recreateMysqlDatabase(adminUrl: string, database: string): Promise<void> {
  assertName(database);
  const connection = await mysql.createConnection({ uri: adminUrl });
  try {
    await connection.query(`drop database if exists ${database}`);
    await connection.query(`create database ${database} character set utf8mb4`);
  } finally {
    await connection.end();
  }
}

/**
 * `count` names of live customers spread over the table with their domain, for the
 * possible-duplicate scenario: searching for a name that exists is the realistic case (a clerk
 * about to create a customer that is already there), and the costliest, since it matches.
 */
export async function sampleCustomerNames(
  url: string,
  count: number,
): Promise<{ name: string; domain: string }[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // Every step-th id: spread over the table whatever its size (--quick seeds 10 000).
    const [{ total }] = await sql<{ total: number }[]>`select count(*)::int as total from customer`;
    const step = Math.max(1, Math.floor(total / (count * 2)));
    const rows = await sql<{ customer_name: string; business_domain: string }[]>`
      select customer_name, business_domain from customer
      where status <> 'TERMINATED' and id % ${step} = 0
      order by id limit ${count}`;
    return rows.map((row) => ({ name: row.customer_name, domain: row.business_domain }));
  } finally {
    await sql.end({ timeout: 5 });
  }
}
