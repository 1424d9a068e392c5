/**
 * One fleet instance from the image of `deno task image`, run by Debian's podman. Here `crun`
 * refuses the machine's hybrid cgroups, so `--runtime runc`; the default RLIMIT_NOFILE is refused,
 * so explicit ulimits; `--network host` reaches the fleet on loopback.
 */
import { exists, type Fleet, spawnDetached, waitUntil } from "./fleet.ts";

export const IMAGE = "customer-service:local";
const RUNTIME = ["--runtime", "runc"];

/** Installs podman and runc with apt-get when missing (`apt-get update` only if that fails). */
export async function ensurePodman(): Promise<void> {
  if (await exists("/usr/bin/podman") && await exists("/usr/sbin/runc")) return;
  const apt = async (args: string[]) =>
    (await new Deno.Command("apt-get", {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "null",
      stderr: "inherit",
    }).output()).success;
  const install = ["install", "-y", "--no-install-recommends", "podman", "runc"];
  if (await apt(install)) return;
  if (!(await apt(["update"])) || !(await apt(install))) {
    throw new Error("apt-get could not install podman and runc");
  }
}

/** Runs `podman --runtime runc <args>`; throws with its output when it fails. */
export async function podman(args: string[]): Promise<string> {
  const output = await new Deno.Command("podman", {
    args: [...RUNTIME, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`podman ${args.join(" ")} failed:\n${text}`);
  return new TextDecoder().decode(output.stdout);
}

/** True when podman is installed and the image has been built. */
export async function imageAvailable(): Promise<boolean> {
  if (!(await exists("/usr/bin/podman"))) return false;
  try {
    await podman(["image", "exists", IMAGE]);
    return true;
  } catch {
    return false;
  }
}

function containerName(fleet: Fleet, index: number) {
  return `customer-fleet-${fleet.ports.primary}-app${index}`;
}

/**
 * `podman run` in the foreground under the fleet's pid file: its output (the container's JSON
 * log lines) goes to `app<index>.log` like a process instance's.
 */
export async function startContainerInstance(fleet: Fleet, index: number): Promise<void> {
  const name = containerName(fleet, index);
  await podman(["rm", "-f", "--ignore", name]).catch(() => {});
  const env = fleet.instanceEnv(index);
  delete env.PATH;
  delete env.HOME;
  delete env.DENO_DIR;
  const args = [
    "podman",
    ...RUNTIME,
    "run",
    "--rm",
    "--name",
    name,
    "--network",
    "host",
    "--ulimit",
    "nofile=20000:20000",
    "--ulimit",
    "nproc=4096:4096",
    "--stop-timeout",
    "20",
    ...Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]),
    IMAGE,
  ];
  spawnDetached(fleet.dir, `app${index}`, args);
}

/** SIGTERM is `podman stop` (the drain runs as in the others); SIGKILL is `podman kill`. */
export async function signalContainerInstance(
  fleet: Fleet,
  index: number,
  signal: "SIGTERM" | "SIGKILL",
): Promise<void> {
  const name = containerName(fleet, index);
  if (signal === "SIGTERM") await podman(["stop", "-t", "20", name]).catch(() => {});
  else await podman(["kill", "-s", "KILL", name]).catch(() => {});
  await waitUntil(`${name} gone`, async () => {
    try {
      await podman(["container", "exists", name]);
      return false;
    } catch {
      return true;
    }
  }, 30_000);
}

export async function removeContainerInstance(fleet: Fleet, index: number): Promise<void> {
  await podman(["rm", "-f", "-t", "5", "--ignore", containerName(fleet, index)]);
}
