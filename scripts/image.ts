/**
 * `deno task image`: an OCI image built with Debian's podman from local files only (no registry
 * is reachable here, and `deno compile` would download its runtime): FROM scratch + the `deno`
 * binary + the shared libraries it links + the app + a dependency cache filled from this
 * machine's, run as an unprivileged user with `--cached-only`. Tag: customer-service:local.
 */
import { ensurePodman, IMAGE, podman } from "./cluster/container.ts";

const REPO = new URL("../", import.meta.url).pathname;
const context = `${REPO}.data/image`;

async function run(command: string, args: string[], env?: Record<string, string>) {
  const output = await new Deno.Command(command, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${command} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** The files `ldd` lists for a binary (the loader included). */
async function sharedLibraries(binary: string): Promise<string[]> {
  const text = await run("ldd", [binary]);
  return [...text.matchAll(/(\/[^\s]+) \(0x/g)].map((match) => match[1]);
}

async function copyInto(path: string) {
  const target = `${context}/rootfs${path}`;
  await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
  // -L: the loader and libc are symlinks on Debian; the image gets the files.
  await run("cp", ["-L", path, target]);
}

if (import.meta.main) {
  const started = performance.now();
  await ensurePodman();
  await Deno.remove(context, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${context}/rootfs/app`, { recursive: true });
  const deno = await Deno.realPath(Deno.execPath());
  await run("cp", [deno, `${context}/deno`]);
  for (const library of await sharedLibraries(deno)) await copyInto(library);
  for (const item of ["deno.json", "deno.lock", "src", "migrations"]) {
    await run("cp", ["-r", `${REPO}${item}`, `${context}/rootfs/app/`]);
  }
  // The dependency cache: this machine's npm packages, then `deno cache` resolves the app
  // against them (nothing is downloaded) and type-checks nothing at run time (--no-check).
  const hostDenoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
  await Deno.mkdir(`${context}/rootfs/deno-dir`, { recursive: true });
  await run("cp", ["-r", `${hostDenoDir}/npm`, `${context}/rootfs/deno-dir/`]);
  await run(Deno.execPath(), ["cache", "--frozen", "src/main.ts"], {
    DENO_DIR: `${context}/rootfs/deno-dir`,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/root",
  });
  await Deno.mkdir(`${context}/rootfs/etc`, { recursive: true });
  await Deno.mkdir(`${context}/rootfs/tmp`, { recursive: true, mode: 0o1777 });
  await Deno.writeTextFile(
    `${context}/rootfs/etc/passwd`,
    "root:x:0:0:root:/root:/sbin/nologin\napp:x:10001:10001:app:/app:/sbin/nologin\n",
  );
  await Deno.writeTextFile(`${context}/rootfs/etc/group`, "root:x:0:\napp:x:10001:\n");
  await Deno.writeTextFile(
    `${context}/Containerfile`,
    `FROM scratch
COPY rootfs/ /
COPY deno /usr/bin/deno
# The cache stays writable by the app user: Deno keeps transpiled sources there.
COPY --chown=10001:10001 rootfs/deno-dir /deno-dir
USER 10001:10001
WORKDIR /app
ENV DENO_DIR=/deno-dir \\
    HOST=0.0.0.0 \\
    PORT=8000 \\
    APP_ENV=production \\
    NO_COLOR=1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/deno", "run", "--cached-only", "--no-check", \\
  "--v8-flags=--max-semi-space-size=2,--max-old-space-size=128", \\
  "--allow-net", "--allow-env", "--allow-read", "--allow-write=/tmp", "--allow-sys", \\
  "src/main.ts"]
`,
  );
  const cwd = Deno.cwd();
  Deno.chdir(context);
  try {
    await podman(["build", "--format", "oci", "-t", IMAGE, "-f", "Containerfile", "."]);
  } finally {
    Deno.chdir(cwd);
  }
  const size = (await podman(["image", "inspect", IMAGE, "--format", "{{.Size}}"])).trim();
  console.log(
    `${IMAGE} built in ${Math.round((performance.now() - started) / 1000)} s, ` +
      `${(Number(size) / 1024 / 1024).toFixed(1)} MiB`,
  );
}
