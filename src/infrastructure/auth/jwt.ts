import {
  createRemoteJWKSet,
  importPKCS8,
  importSPKI,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
  SignJWT,
} from "jose";
import { type Config, ConfigError } from "../../config.ts";
import type { TokenSigner, TokenVerifier } from "../../domain/auth/auth_ports.ts";
import type { UserClaims } from "../../domain/auth/current_user.ts";
import { AppError } from "../../shared/errors.ts";

const CLOCK_TOLERANCE_SECONDS = 30;

type JoseKey = Awaited<ReturnType<typeof importSPKI>>;
type VerificationKey = Uint8Array | JoseKey | JWTVerifyGetKey;

/** The key material the service verifies (and, where it can, signs) tokens with. */
export interface JwtKeys {
  algorithms: string[];
  verificationKey: VerificationKey;
  signing?: { algorithm: string; key: Uint8Array | JoseKey };
}

/** Orchestrators often pass PEM in one line with literal `\n`; restore the line breaks. */
function normalizePem(pem: string): string {
  return pem.includes("\\n") ? pem.replaceAll("\\n", "\n") : pem;
}

async function importPublicKey(pem: string): Promise<{ key: JoseKey; algorithm: string }> {
  for (const algorithm of ["RS256", "ES256"]) {
    try {
      return { key: await importSPKI(normalizePem(pem), algorithm), algorithm };
    } catch {
      // not a key of this algorithm; try the next
    }
  }
  throw new ConfigError("JWT_PUBLIC_KEY is not an RSA or P-256 public key in PEM (SPKI) form");
}

async function importPrivateKey(pem: string): Promise<{ key: JoseKey; algorithm: string }> {
  for (const algorithm of ["RS256", "ES256"]) {
    try {
      return { key: await importPKCS8(normalizePem(pem), algorithm), algorithm };
    } catch {
      // not a key of this algorithm; try the next
    }
  }
  throw new ConfigError("JWT_PRIVATE_KEY is not an RSA or P-256 private key in PEM (PKCS#8) form");
}

/**
 * Loads the configured keys: a public key or JWKS (RS256/ES256) wins over a secret (HS256); with
 * neither, a development process gets a random secret (see main.ts).
 */
export async function loadJwtKeys(config: Config, fallbackSecret?: string): Promise<JwtKeys> {
  if (config.JWT_PUBLIC_KEY) {
    const publicKey = await importPublicKey(config.JWT_PUBLIC_KEY);
    const signing = config.JWT_PRIVATE_KEY
      ? await importPrivateKey(config.JWT_PRIVATE_KEY)
      : undefined;
    const keys: JwtKeys = {
      // A PEM key has one algorithm: allowing only it keeps alg confusion out entirely.
      algorithms: [publicKey.algorithm],
      verificationKey: publicKey.key,
      signing: signing && { algorithm: signing.algorithm, key: signing.key },
    };
    if (signing) await assertKeyPair(keys);
    return keys;
  }
  if (config.JWT_JWKS_URL) {
    const signing = config.JWT_PRIVATE_KEY
      ? await importPrivateKey(config.JWT_PRIVATE_KEY)
      : undefined;
    return {
      algorithms: ["RS256", "ES256"],
      verificationKey: createRemoteJWKSet(new URL(config.JWT_JWKS_URL)),
      signing: signing && { algorithm: signing.algorithm, key: signing.key },
    };
  }
  const secret = config.JWT_SECRET ?? fallbackSecret;
  if (!secret) {
    throw new Error("no JWT key configured (JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL)");
  }
  const key = new TextEncoder().encode(secret);
  return { algorithms: ["HS256"], verificationKey: key, signing: { algorithm: "HS256", key } };
}

/** A private key that does not match the public key would sign tokens nobody accepts. */
async function assertKeyPair(keys: JwtKeys): Promise<void> {
  const probe = await new SignJWT({}).setProtectedHeader({ alg: keys.signing!.algorithm })
    .setExpirationTime("1m").sign(keys.signing!.key);
  try {
    await jwtVerify(probe, keys.verificationKey as JoseKey, { algorithms: keys.algorithms });
  } catch {
    throw new ConfigError("JWT_PRIVATE_KEY does not match JWT_PUBLIC_KEY");
  }
}

/** jose codes that say the token is bad (401); anything else from a JWKS is an outage (503). */
const TOKEN_ERROR =
  /^ERR_(JWT|JWS|JOSE_ALG_NOT_ALLOWED|JOSE_NOT_SUPPORTED|JWKS_NO_MATCHING_KEY|JWKS_MULTIPLE_MATCHING_KEYS)/;

/** `typ` values taken for a plain JWT (RFC 7519 §5.1: compared case-insensitively). */
const ACCEPTED_TYP = new Set(["jwt", "application/jwt"]);

function stringArray(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) return undefined;
  return value;
}

function claimsOf(payload: JWTPayload): UserClaims {
  const roles = stringArray(payload.roles);
  const positions = stringArray(payload.positions);
  const departments = stringArray(payload.departments);
  if (typeof payload.sub !== "string" || payload.sub.length === 0) {
    throw new AppError("UNAUTHENTICATED", "token has no subject (sub)");
  }
  if (!roles || !positions || !departments) {
    throw new AppError(
      "UNAUTHENTICATED",
      "token claims roles, positions, departments must be string arrays",
    );
  }
  return {
    dingUserId: payload.sub,
    name: typeof payload.name === "string" ? payload.name : payload.sub,
    unionId: typeof payload.union_id === "string" ? payload.union_id : "",
    roles,
    positions,
    departments,
  };
}

/** Creates the verifier: allow-listed algorithms, required iss/aud/exp, 30 s tolerance. */
export function createTokenVerifier(
  keys: JwtKeys,
  config: Pick<Config, "JWT_ISSUER" | "JWT_AUDIENCE">,
): TokenVerifier {
  return async (token) => {
    let payload: JWTPayload;
    let typ: unknown;
    try {
      const options = {
        algorithms: keys.algorithms,
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        requiredClaims: ["exp", "sub"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      };
      const key = keys.verificationKey;
      ({ payload, protectedHeader: { typ } } = typeof key === "function"
        ? await jwtVerify(token, key, options)
        : await jwtVerify(token, key, options));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof keys.verificationKey === "function" && !TOKEN_ERROR.test(String(code))) {
        throw new AppError("SERVICE_UNAVAILABLE", "the JWKS of JWT_JWKS_URL cannot be fetched", {
          headers: { "retry-after": "5" },
          cause: error,
        });
      }
      throw new AppError("UNAUTHENTICATED", `invalid bearer token (${code ?? "ERR_JWT_INVALID"})`);
    }
    // A token typed for something else (an `at+jwt` of another issuer's flow, a logout token)
    // signed with the same key must not pass as ours (RFC 8725 §3.11); no typ stays accepted.
    if (typ !== undefined && !ACCEPTED_TYP.has(String(typ).toLowerCase())) {
      throw new AppError("UNAUTHENTICATED", "invalid bearer token (typ must be JWT)");
    }
    return claimsOf(payload);
  };
}

/** Creates the signer for login and operator tokens; undefined when only a public key is set. */
export function createTokenSigner(
  keys: JwtKeys,
  config: Pick<Config, "JWT_ISSUER" | "JWT_AUDIENCE" | "JWT_TTL_SECONDS">,
): TokenSigner | undefined {
  const signing = keys.signing;
  if (!signing) return undefined;
  return async (claims, ttlSeconds = config.JWT_TTL_SECONDS) => {
    const token = await new SignJWT({
      name: claims.name,
      union_id: claims.unionId,
      roles: claims.roles,
      positions: claims.positions,
      departments: claims.departments,
    })
      .setProtectedHeader({ alg: signing.algorithm, typ: "JWT" })
      .setSubject(claims.dingUserId)
      .setIssuer(config.JWT_ISSUER)
      .setAudience(config.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(signing.key);
    return { token, expiresIn: ttlSeconds };
  };
}
