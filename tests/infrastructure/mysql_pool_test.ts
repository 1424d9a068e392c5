import assert from "node:assert/strict";
import { createReadOnlyMysqlPool } from "../../src/infrastructure/mysql/pool.ts";
import { MYSQL_URL } from "../support/test_app.ts";

Deno.test("every external-source connection refuses writes", async () => {
  const pool = createReadOnlyMysqlPool(MYSQL_URL, { connectionLimit: 2 });
  try {
    const [rows] = await pool.query("select @@tx_read_only as readOnly");
    assert.equal((rows as { readOnly: number }[])[0].readOnly, 1);
    await assert.rejects(
      pool.query("create temporary table should_not_exist (id int)").then(() =>
        pool.query("insert into should_not_exist values (1)")
      ),
      (error: { code?: string; errno?: number }) =>
        error.code === "ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION" || error.errno === 1792,
    );
    const connection = await pool.getConnection();
    try {
      const [again] = await connection.query("select @@tx_read_only as readOnly");
      assert.equal((again as { readOnly: number }[])[0].readOnly, 1);
    } finally {
      connection.release();
    }
  } finally {
    await pool.end();
  }
});
