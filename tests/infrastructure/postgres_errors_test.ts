import assert from "node:assert/strict";
import postgres from "postgres";
import {
  constraintError,
  isRetryable,
  isUnavailable,
  isUniqueViolation,
  translateDatabaseError,
} from "../../src/infrastructure/postgres/errors.ts";
import { createTestDatabase } from "../support/database.ts";

// ADR 0094: the one module that reads Postgres error codes, checked against errors the real
// database raises.

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected the statement to fail");
}

Deno.test("unique violations of the schema map to their 409 codes", async () => {
  const db = await createTestDatabase("postgres_errors");
  const sql = db.sql;
  try {
    const [company] = await sql`insert into company (company_code, company_name, source)
      values ('CO-1', 'Co', 'MANUAL') returning id`;
    await sql`insert into customer (customer_code, customer_name, company_id, business_domain,
      status, source, external_code, operation_uid, operation_name) values ('MN-1', 'A',
      ${company.id}, 'GENERAL_WAREHOUSING', 'PENDING', 'MANUAL', 'E1', 'U', 'U')`;
    await sql`insert into customer_group (group_name, business_domain, operation_uid,
      operation_name) values ('G', 'GENERAL_WAREHOUSING', 'U', 'U')`;
    await sql`insert into external_system_sync (entity_type, entity_id, source, remote_id,
      business_domain, sync_status) values ('CUSTOMER', 1, 'RB', 'R1', 'GENERAL_WAREHOUSING',
      'SUCCESS')`;
    const cases: [() => Promise<unknown>, string][] = [
      [
        () =>
          sql`insert into company (company_code, company_name, source)
          values ('CO-1', 'Other', 'MANUAL')`,
        "COMPANY_DUPLICATED",
      ],
      [
        () =>
          sql`insert into customer (customer_code, customer_name, company_id, business_domain,
          status, source, external_code, operation_uid, operation_name) values ('MN-2', 'B',
          ${company.id}, 'GENERAL_WAREHOUSING', 'PENDING', 'MANUAL', 'E1', 'U', 'U')`,
        "CUSTOMER_DUPLICATED",
      ],
      [
        () =>
          sql`insert into customer_group (group_name, business_domain, operation_uid,
          operation_name) values ('G', 'GENERAL_WAREHOUSING', 'U', 'U')`,
        "GROUP_DUPLICATED",
      ],
      [
        () =>
          sql`insert into external_system_sync (entity_type, entity_id, source, remote_id,
          business_domain, sync_status) values ('CUSTOMER', 2, 'RB', 'R1', 'GENERAL_WAREHOUSING',
          'SUCCESS')`,
        "CUSTOMER_DUPLICATED",
      ],
    ];
    for (const [statement, code] of cases) {
      const error = await errorOf(statement);
      assert.ok(isUniqueViolation(error));
      assert.equal(constraintError(error)?.code, code);
      assert.equal(translateDatabaseError(error)?.code, code);
      assert.equal(isRetryable(error), false);
      assert.equal(isUnavailable(error), false);
    }
    const notUnique = await errorOf(() => sql`select 1 / 0`);
    assert.equal(constraintError(notUnique), undefined);
    assert.equal(translateDatabaseError(notUnique), undefined);
  } finally {
    await db.drop();
  }
});

Deno.test("a closed database port is unavailable; deadlocks are retryable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const sql = postgres(`postgres://postgres@127.0.0.1:${port}/none`, {
    max: 1,
    connect_timeout: 2,
    onnotice: () => {},
  });
  try {
    const error = await errorOf(() => sql`select 1`);
    assert.ok(isUnavailable(error), String(error));
    assert.equal(translateDatabaseError(error)?.code, "SERVICE_UNAVAILABLE");
    assert.equal(translateDatabaseError(error)?.headers?.["retry-after"], "5");
  } finally {
    await sql.end({ timeout: 1 });
  }
  assert.ok(isRetryable({ code: "40P01" }));
  assert.ok(isRetryable({ code: "40001" }));
  assert.ok(!isRetryable({ code: "23505" }));
});
