import { type Config, ConfigError } from "../src/config.ts";

/** Loads the configuration or exits 1 with the message that names the bad variable. */
export function exitOnConfigError(load: () => Config): Config {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      Deno.exit(1);
    }
    throw error;
  }
}

/** Parses `--name value` and `--flag` arguments into a map (no JSR std/cli here). */
export function parseFlags(args: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split("=", 2);
    if (inline !== undefined) flags.set(name, inline);
    else if (index + 1 < args.length && !args[index + 1].startsWith("--")) {
      flags.set(name, args[++index]);
    } else flags.set(name, "true");
  }
  return flags;
}
