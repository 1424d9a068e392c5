/**
 * Figures of docs/scale-out.md: throughput through HAProxy with 3 and 1 instances (short closed
 * loops), and the replica's lag under a write load. Its own fleet under a temporary directory;
 * `deno run -A bench/fleet.ts [--seconds 10] [--connections 12]`.
 */
import postgres from "postgres";
import { Fleet, waitUntil } from "../scripts/cluster/fleet.ts";
import { signTestToken, USERS } from "../tests/support/tokens.ts";

const flag = (name: string, fallback: number) => {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
};
const seconds = flag("seconds", 10);
const connections = flag("connections", 12);

async function closedLoop(url: string, headers: HeadersInit, paths: () => string) {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}${paths()}`, { headers });
        await response.body?.cancel();
        if (response.status === 200) latencies.push(performance.now() - started);
        else errors++;
      } catch {
        errors++;
      }
    }
  }));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]?.toFixed(1);
  return {
    rps: Math.round(latencies.length / seconds),
    p50: at(0.5),
    p99: at(0.99),
    errors,
  };
}

const dir = await Deno.makeTempDir({ prefix: "fleet-bench-" });
const fleet = new Fleet({ dir, basePort: 27400, instances: 3 });
const primary = postgres(fleet.primaryUrl(), { max: 1, onnotice: () => {} });
try {
  await fleet.up();
  const token = await signTestToken(USERS.admin);
  const headers = { authorization: `Bearer ${token}` };
  await waitUntil("HAProxy ready", async () => {
    const response = await fetch(`${fleet.url}/readyz`);
    await response.body?.cancel();
    return response.ok;
  }, 30_000);
  const ids: number[] = [];
  for (let i = 0; i < 20; i++) {
    const response = await fetch(`${fleet.url}/customers`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({
        customer: { customerName: `Bench ${i}`, businessDomain: "COLD_CHAIN" },
        company: { companyName: `Bench Co ${i}` },
      }),
    });
    ids.push((await response.json()).id);
  }
  const detail = () => `/customers/${ids[Math.floor(Math.random() * ids.length)]}`;
  const list = () => `/customers?pageSize=20`;
  const results: Record<string, unknown> = {};
  results["3 instances, detail"] = await closedLoop(fleet.url, headers, detail);
  results["3 instances, list"] = await closedLoop(fleet.url, headers, list);
  await fleet.signalInstance(1, "SIGTERM");
  await fleet.signalInstance(2, "SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 3000));
  results["1 instance, detail"] = await closedLoop(fleet.url, headers, detail);
  results["1 instance, list"] = await closedLoop(fleet.url, headers, list);
  await fleet.startInstance(1);
  await fleet.startInstance(2);

  // Replica lag under writes: PATCH loops on their own rows, lag sampled every 100 ms from
  // the primary's view of the standby (pg_stat_replication.replay_lag).
  let writing = true;
  let writes = 0;
  const samples: number[] = [];
  const sampler = (async () => {
    while (writing) {
      const [row] = await primary`
        select coalesce(extract(epoch from replay_lag) * 1000, 0)::float8 as ms,
               pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 as bytes
        from pg_stat_replication limit 1`;
      if (row) samples.push(row.ms);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const writers = ids.slice(0, 6).map(async (id) => {
    let etag = (await fetch(`${fleet.url}/customers/${id}`, { headers })).headers.get("etag")!;
    const deadline = performance.now() + seconds * 1000;
    for (let n = 0; performance.now() < deadline; n++) {
      const response = await fetch(`${fleet.url}/customers/${id}`, {
        method: "PATCH",
        headers: { ...headers, "content-type": "application/json", "if-match": etag },
        body: JSON.stringify({ remark: `bench ${n}` }),
      });
      await response.body?.cancel();
      if (response.status === 200) {
        writes++;
        etag = response.headers.get("etag")!;
      }
    }
  });
  await Promise.all(writers);
  writing = false;
  await sampler;
  samples.sort((a, b) => a - b);
  results["replica lag under writes"] = {
    writesPerSecond: Math.round(writes / seconds),
    lagP50Ms: samples[Math.floor(samples.length / 2)]?.toFixed(1),
    lagMaxMs: samples.at(-1)?.toFixed(1),
  };
  console.log(JSON.stringify({ seconds, connections, results }, null, 2));
} finally {
  await primary.end();
  await fleet.down();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
