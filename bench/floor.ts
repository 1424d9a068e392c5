/**
 * The floor: the least a server can do to answer a customer detail by primary key — Deno.serve and
 * postgres.js, no framework, auth, cache or logging. The service is measured against it.
 * Usage: deno run -A bench/floor.ts <port>   (DATABASE_URL names the database)
 */
import postgres from "postgres";

const port = Number(Deno.args[0] ?? 8090);
const sql = postgres(Deno.env.get("DATABASE_URL")!, { max: 10, onnotice: () => {} });

Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => console.log("floor ready") },
  async (request) => {
    const id = Number(new URL(request.url).pathname.split("/").at(-1));
    const [row] = await sql`
    select c.id, c.customer_code, c.customer_name, c.business_domain, c.status, c.source,
      c.external_code, c.contact_name, c.contact_phone, c.remark, c.operation_uid,
      c.operation_name, c.version, c.created_at, c.updated_at,
      co.id as company_id, co.company_code, co.company_name
    from customer c join company co on co.id = c.company_id
    where c.id = ${id}`;
    if (!row) return new Response("not found", { status: 404 });
    return Response.json(row);
  },
);
