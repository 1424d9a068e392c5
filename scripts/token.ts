/**
 * `deno task token --sub U1 --name Name --roles ROLE_STD_AGENT[,..] [--positions ..]
 * [--departments ..] [--union-id ..] [--ttl 3600]`: prints a token signed with the configured key.
 */
import { loadConfig } from "../src/config.ts";
import { createTokenSigner, loadJwtKeys } from "../src/infrastructure/auth/jwt.ts";
import { exitOnConfigError, parseFlags } from "./cli.ts";

const list = (value: string | undefined) =>
  value ? value.split(",").map((item) => item.trim()).filter(Boolean) : [];

const flags = parseFlags(Deno.args);
const sub = flags.get("sub");
if (!sub) {
  console.error(
    "usage: deno task token --sub U1 --name Name --roles ROLE_STD_AGENT[,..] [--positions ..] [--departments ..] [--ttl 3600]",
  );
  Deno.exit(1);
}
const ttl = Number(flags.get("ttl") ?? 3600);
if (!Number.isInteger(ttl) || ttl < 1) {
  console.error(`--ttl must be a positive whole number of seconds, got ${flags.get("ttl")}`);
  Deno.exit(1);
}
const config = exitOnConfigError(loadConfig);
let signer;
try {
  signer = createTokenSigner(await loadJwtKeys(config), config);
} catch (error) {
  console.error((error as Error).message);
  Deno.exit(1);
}
if (!signer) {
  console.error("cannot sign: only a public key is configured (set JWT_PRIVATE_KEY or JWT_SECRET)");
  Deno.exit(1);
}
const { token } = await signer({
  dingUserId: sub,
  name: flags.get("name") ?? sub,
  unionId: flags.get("union-id") ?? "",
  roles: list(flags.get("roles")),
  positions: list(flags.get("positions")),
  departments: list(flags.get("departments")),
}, ttl);
console.log(token);
