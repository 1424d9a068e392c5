/**
 * `deno task cluster up|down|status`: the scale-out fleet on this machine (docs/scale-out.md).
 * CLUSTER_DIR (default .data/cluster), CLUSTER_BASE_PORT (default 25400), CLUSTER_CONTAINER=1
 * runs instance 2 from the image of `deno task image`.
 */
import { Fleet } from "./cluster/fleet.ts";

const dir = Deno.env.get("CLUSTER_DIR") ??
  new URL("../.data/cluster", import.meta.url).pathname;
const fleet = new Fleet({
  dir,
  basePort: Number(Deno.env.get("CLUSTER_BASE_PORT") ?? 25400),
  instances: 3,
  containerInstances: Deno.env.get("CLUSTER_CONTAINER") === "1" ? [2] : [],
});

const command = Deno.args[0];
if (command === "up") {
  const started = performance.now();
  await fleet.up();
  console.log(`fleet up in ${Math.round(performance.now() - started)} ms under ${dir}`);
  console.log(`  HAProxy   ${fleet.url}  (stats http://127.0.0.1:${fleet.ports.stats}/stats)`);
  console.log(`  PgBouncer 127.0.0.1:${fleet.ports.pgbouncer}  primary ${fleet.ports.primary}`);
  console.log(`  replica   ${fleet.ports.replica}  redis ${fleet.ports.redis}`);
} else if (command === "down") {
  await fleet.down();
  if (Deno.args.includes("--purge")) await Deno.remove(dir, { recursive: true }).catch(() => {});
  console.log("fleet down");
} else if (command === "status") {
  const status = await fleet.status();
  for (const [name, state] of Object.entries(status)) {
    console.log(`${name.replace("run/", "").padEnd(10)} ${state}`);
  }
} else {
  console.error("usage: deno task cluster up|down [--purge]|status");
  Deno.exit(2);
}
