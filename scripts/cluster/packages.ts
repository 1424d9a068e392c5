/** The Debian packages of the fleet: installed with apt-get when missing (once per machine). */
const NEEDED: { binary: string; packages: string[] }[] = [
  { binary: "/usr/sbin/haproxy", packages: ["haproxy"] },
  { binary: "/usr/sbin/pgbouncer", packages: ["pgbouncer"] },
  { binary: "/usr/bin/redis-server", packages: ["redis-server"] },
  { binary: "/usr/lib/postgresql/15/bin/pg_basebackup", packages: ["postgresql-15"] },
];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function aptGet(args: string[]): Promise<boolean> {
  const output = await new Deno.Command("apt-get", {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) console.error(new TextDecoder().decode(output.stderr).slice(-2000));
  return output.success;
}

/** Installs what is missing; `apt-get update` only when a first install attempt fails. */
export async function ensurePackages(): Promise<void> {
  const missing: string[] = [];
  for (const { binary, packages } of NEEDED) {
    if (!(await exists(binary))) missing.push(...packages);
  }
  if (missing.length === 0) return;
  console.error(`cluster: installing ${missing.join(" ")} with apt-get`);
  const install = ["install", "-y", "--no-install-recommends", ...missing];
  if (await aptGet(install)) return;
  if (!(await aptGet(["update"])) || !(await aptGet(install))) {
    throw new Error(`apt-get could not install ${missing.join(" ")}`);
  }
}
