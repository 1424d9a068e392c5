import mysql from "mysql2/promise";
import { generateRows, loadFixture } from "../../scripts/load_fixture.ts";
import { MYSQL_URL } from "./test_app.ts";

/** A fresh MySQL database of one test file holding the `rb_customer` fixture, dropped by drop(). */
export interface TestMysqlDatabase {
  name: string;
  url: string;
  /** Appends synthetic rows (scripts/load_fixture.ts generateRows). */
  generate(count: number, prefix?: string): Promise<void>;
  /** Runs a statement on a WRITABLE connection (to change source rows between imports). */
  exec(statement: string, params?: unknown[]): Promise<void>;
  drop(): Promise<void>;
}

/** Creates `cms_sync_<random>` on the test MariaDB and loads the fixture into it. */
export async function createTestMysqlDatabase(): Promise<TestMysqlDatabase> {
  const name = `cms_sync_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    await admin.query(`create database \`${name}\``);
  } finally {
    await admin.end();
  }
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  await loadFixture(url.toString());
  return {
    name,
    url: url.toString(),
    generate: (count, prefix) => generateRows(url.toString(), count, { prefix }),
    async exec(statement, params = []) {
      const connection = await mysql.createConnection({ uri: url.toString(), timezone: "Z" });
      try {
        await connection.query(statement, params);
      } finally {
        await connection.end();
      }
    },
    async drop() {
      const cleanup = await mysql.createConnection({ uri: MYSQL_URL });
      try {
        await cleanup.query(`drop database if exists \`${name}\``);
      } finally {
        await cleanup.end();
      }
    },
  };
}
