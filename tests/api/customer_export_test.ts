import assert from "node:assert/strict";
import { configureLogging } from "../../src/shared/logger.ts";
import { CUSTOMER_CSV_FIELDS } from "../../src/presentation/customers/customer_csv.ts";
import { insertCompany, insertCustomer } from "../support/fixtures.ts";
import { startTestApp, type TestApp } from "../support/test_app.ts";
import { signTestToken, type TestUser, USERS } from "../support/tokens.ts";
import { TRICKY_NAMES } from "../support/tricky_names.ts";

/** RFC 4180 parsing, enough for the export: quoted cells with "", commas and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') (cell += '"', i++);
      else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") (row.push(cell), cell = "");
    else if (char === "\r" && text[i + 1] === "\n") {
      row.push(cell), rows.push(row), row = [], cell = "", i++;
    } else cell += char;
  }
  if (cell !== "" || row.length > 0) throw new Error("the CSV does not end with CRLF");
  return rows;
}

async function listAll(env: TestApp, query: string, user: TestUser) {
  const items: Record<string, unknown>[] = [];
  let path = `/customers?${query}&pageSize=100`;
  for (;;) {
    const response = await env.request("GET", path, { as: user });
    assert.equal(response.status, 200);
    const body = await response.json();
    items.push(...body.items);
    if (!body.nextCursor) return { items, total: body.total as number };
    path = `/customers?${query}&pageSize=100&cursor=${body.nextCursor}`;
  }
}

async function exportCsv(env: TestApp, query: string, user: TestUser) {
  const response = await env.request("GET", `/customers/export?${query}`, { as: user });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get("content-type"), "text/csv; charset=utf-8");
  const bytes = new Uint8Array(await response.arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 byte-order mark");
  const [header, ...rows] = parseCsv(new TextDecoder().decode(bytes.subarray(3)));
  assert.deepEqual(header, [...CUSTOMER_CSV_FIELDS]);
  return rows.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i]])));
}

Deno.test(
  "GET /customers/export streams the list's customers as CSV or NDJSON",
  async (t) => {
    const env = await startTestApp("customer_export", { env: { RATE_LIMIT_PER_MINUTE: "100000" } });
    try {
      const sql = env.deps.db.sql;
      const company = await insertCompany(sql, { companyName: '上海"引号",公司\n第二行' });
      for (const name of TRICKY_NAMES) {
        await insertCustomer(sql, { customerName: name, companyId: company.id });
        await insertCustomer(sql, { customerName: name, businessDomain: "COLD_CHAIN" });
      }
      const formula = await insertCustomer(sql, {
        customerName: '=HYPERLINK("http://evil","x")',
        contactName: "@SUM(A1)",
        contactPhone: "+86 138-0000 0000",
        remark: "-2",
      });
      await sql`
      insert into customer (customer_code, customer_name, company_id, business_domain, status,
        source, operation_uid, operation_name)
      select 'BULK-' || n, '批量客户' || n || '有限公司', ${company.id},
        case when n % 2 = 0 then 'COLD_CHAIN' else 'GENERAL_WAREHOUSING' end, 'ACTIVE', 'MANUAL',
        'test', 'Test'
      from generate_series(1, 1200) as n`;

      await t.step(
        "CSV rows equal the list's rows, in order, within the user's domains",
        async () => {
          for (
            const query of [
              "sort=-createdAt",
              "sort=customerName&keyword=有限公司",
              "status=ACTIVE&sort=customerCode",
            ]
          ) {
            const list = await listAll(env, query, USERS.std);
            const rows = await exportCsv(env, query, USERS.std);
            assert.equal(rows.length, list.items.length, query);
            if (list.total < 1000) assert.equal(rows.length, list.total, query);
            assert.deepEqual(rows.map((row) => Number(row.id)), list.items.map((item) => item.id));
            assert.ok(rows.every((row) => row.businessDomain === "GENERAL_WAREHOUSING"), query);
          }
          const [{ count }] = await sql<{ count: number }[]>`
        select count(*)::int as count from customer where business_domain = 'GENERAL_WAREHOUSING'`;
          assert.equal((await exportCsv(env, "", USERS.std)).length, count);
        },
      );

      await t.step("Chinese names, quotes, commas and line breaks round-trip", async () => {
        const rows = await exportCsv(env, "keyword=上海", USERS.std);
        assert.deepEqual(
          rows.map((row) => row.customerName).sort(),
          TRICKY_NAMES.filter((name) => name.includes("上海")).sort(),
        );
        assert.ok(rows.every((row) => row.companyName === '上海"引号",公司\n第二行'));
        const list = await listAll(env, "keyword=上海", USERS.std);
        const first = list.items[0] as Record<string, unknown> & {
          company: { companyCode: string };
        };
        const row = rows.find((candidate) => Number(candidate.id) === first.id)!;
        for (const field of CUSTOMER_CSV_FIELDS) {
          const expected = field === "companyCode"
            ? first.company.companyCode
            : field === "companyName"
            ? '上海"引号",公司\n第二行'
            : first[field] ?? "";
          assert.equal(row[field], String(expected), field);
        }
      });

      await t.step("formula-like cells are defused, phone numbers are not", async () => {
        const [row] = await exportCsv(env, "keyword=HYPERLINK", USERS.std);
        assert.equal(Number(row.id), formula.id);
        assert.equal(row.customerName, '\'=HYPERLINK("http://evil","x")');
        assert.equal(row.contactName, "'@SUM(A1)");
        assert.equal(row.contactPhone, "+86 138-0000 0000");
        assert.equal(row.remark, "-2");
      });

      await t.step("Accept: application/x-ndjson gives one Customer JSON per line", async () => {
        const query = "sort=customerName&keyword=有限公司";
        const response = await env.request("GET", `/customers/export?${query}`, {
          as: USERS.std,
          headers: { accept: "application/x-ndjson" },
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-type"), "application/x-ndjson");
        const text = await response.text();
        assert.ok(text.endsWith("\n"));
        const lines = text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
        assert.deepEqual(lines, (await listAll(env, query, USERS.std)).items);
        // The CSV header is the Customer JSON field names, company flattened: a new Customer
        // field must join CUSTOMER_CSV_FIELDS.
        const flattened = Object.keys(lines[0]).flatMap((key) =>
          key === "company" ? ["companyCode", "companyName"] : [key]
        );
        assert.deepEqual([...CUSTOMER_CSV_FIELDS], flattened);
      });

      await t.step(
        "an admin's export holds every domain; a cold agent's only cold chain",
        async () => {
          const all = await exportCsv(env, "", USERS.admin);
          const [{ count }] = await sql<
            { count: number }[]
          >`select count(*)::int as count from customer`;
          assert.equal(all.length, count);
          const cold = await exportCsv(env, "", USERS.cold);
          assert.ok(cold.length > 0 && cold.every((row) => row.businessDomain === "COLD_CHAIN"));
        },
      );

      await t.step("one export per user, at most half the pool per instance (429)", async () => {
        const open = async (user: TestUser) => {
          const response = await env.request("GET", "/customers/export", { as: user });
          assert.equal(response.status, 200);
          const reader = response.body!.getReader();
          await reader.read();
          return reader;
        };
        const refused = async (user: TestUser, pattern: RegExp) => {
          const response = await env.request("GET", "/customers/export", { as: user });
          assert.equal(response.status, 429);
          assert.equal(response.headers.get("retry-after"), "10");
          const problem = await response.json();
          assert.equal(problem.code, "RATE_LIMITED");
          assert.match(problem.detail, pattern);
        };
        const first = await open(USERS.std);
        await refused(USERS.std, /an export of this user is still running/);
        const second = await open(USERS.cold); // the test pool has 5 connections: 2 exports
        await refused(USERS.admin, /2 exports are running on this instance/);
        await first.cancel();
        const third = await open(USERS.std);
        await Promise.all([second.cancel(), third.cancel()]);
        const list = await env.request("GET", "/customers/export?keyword=HYPERLINK", {
          as: USERS.admin,
        });
        assert.equal(list.status, 200, "every slot was given back");
        await list.body?.cancel();
      });

      await t.step("bad requests are problems, not streams", async () => {
        const forbidden = await env.request("GET", "/customers/export?businessDomain=COLD_CHAIN", {
          as: USERS.std,
        });
        assert.equal(forbidden.status, 403);
        for (const query of ["page=1", "cursor=abc", "sort=remark", "pageSize=5"]) {
          const response = await env.request("GET", `/customers/export?${query}`, {
            as: USERS.std,
          });
          assert.equal(response.status, 400, query);
          assert.equal((await response.json()).code, "VALIDATION_FAILED");
        }
        assert.equal((await env.request("GET", "/customers/export")).status, 401);
        const nobody = await env.request("GET", "/customers/export", { as: USERS.nobody });
        assert.equal(nobody.status, 403);
      });
    } finally {
      await env.close();
    }
  },
);

Deno.test(
  "an export reads as the client reads and stops when the client goes away",
  async () => {
    const env = await startTestApp("customer_export_cancel", {
      env: { DATABASE_STATEMENT_TIMEOUT_MS: "120000" },
    });
    try {
      const sql = env.deps.db.sql;
      const company = await insertCompany(sql);
      await sql`
      insert into customer (customer_code, customer_name, company_id, business_domain, status,
        source, operation_uid, operation_name)
      select 'BIG-' || n, 'Big ' || n, ${company.id}, 'GENERAL_WAREHOUSING', 'ACTIVE', 'MANUAL',
        'test', 'Test'
      from generate_series(1, 30000) as n`;
      const exportBackends = () =>
        sql<{ state: string; wait_event: string | null }[]>`
        select state, wait_event from pg_stat_activity
        where datname = ${env.db.name} and pid <> pg_backend_pid()
          and query like '%customer_export%'`;

      const response = await env.request("GET", "/customers/export", { as: USERS.admin });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      let received = 0;
      while (received < 2) received += (await reader.read()).value!.length > 0 ? 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The cursor is open, not drained into memory: the backend waits for the next FETCH.
      const paused = await exportBackends();
      assert.equal(paused.length, 1);
      assert.equal(paused[0].wait_event, "ClientRead");
      const started = performance.now();

      await reader.cancel();
      for (let i = 0; i < 50 && (await exportBackends()).some((b) => b.state !== "idle"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const after = await exportBackends();
      assert.ok(after.every((backend) => backend.state === "idle"), JSON.stringify(after));
      assert.ok(performance.now() - started < 2000, "the query ended at once");
      // The connection went back to the pool: the pool still serves (5 connections, 10 requests).
      const lists = await Promise.all(
        Array.from({ length: 10 }, () => env.request("GET", "/customers", { as: USERS.admin })),
      );
      assert.ok(lists.every((list) => list.status === 200));
      await Promise.all(lists.map((list) => list.body?.cancel()));
    } finally {
      await env.close();
    }
  },
);

Deno.test(
  "a client that drops the connection mid-export ends the query on a real server",
  async () => {
    const env = await startTestApp("customer_export_disconnect", {
      env: { DATABASE_STATEMENT_TIMEOUT_MS: "120000" },
    });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      env.app.fetch,
    );
    try {
      const sql = env.deps.db.sql;
      const company = await insertCompany(sql);
      await sql`
        insert into customer (customer_code, customer_name, company_id, business_domain, status,
          source, operation_uid, operation_name, remark)
        select 'NET-' || n, 'Net ' || n, ${company.id}, 'GENERAL_WAREHOUSING',
          'ACTIVE', 'MANUAL', 'test', 'Test', repeat('备注', 300)
        from generate_series(1, 20000) as n`;
      const exporting = async () =>
        (await sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = ${env.db.name} and pid <> pg_backend_pid() and state <> 'idle'
            and query like '%customer_export%'`)[0].n;

      const lines: string[] = [];
      configureLogging({ level: "info", sink: (line) => lines.push(line) });
      const controller = new AbortController();
      const response = await fetch(`http://127.0.0.1:${server.addr.port}/customers/export`, {
        headers: { authorization: `Bearer ${await signTestToken(USERS.admin)}` },
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      await reader.read();
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(await exporting(), 1, "the export is open, paused by the unread socket");
      controller.abort();
      await reader.closed.catch(() => {});
      let open = 1;
      for (let i = 0; i < 100 && open > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        open = await exporting();
      }
      assert.equal(open, 0, "the disconnect closed the cursor and its transaction");
      const cancelled = lines.map((line) => JSON.parse(line)).find((line) =>
        line.msg === "customer export cancelled by the client"
      );
      assert.ok(cancelled && cancelled.rows < 20000, "stopped before the end");
    } finally {
      configureLogging({ level: "error", sink: (line) => console.log(line) });
      await server.shutdown();
      await env.close();
    }
  },
);
