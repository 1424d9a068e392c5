/**
 * Values of JWT_SECRET that this repository ships (compose defaults, tests, docs): anyone who
 * has read the repository can sign tokens with them, so production refuses them (contract §10.3).
 * tests/production_guard_test.ts scans the repository so a new one cannot be added unlisted.
 */
export const SHIPPED_SECRETS: ReadonlySet<string> = new Set([
  "local-compose-secret-change-me-0123456789",
  "test-secret-of-at-least-32-bytes-long!!",
  "token-task-secret-of-at-least-32-bytes",
  "another-secret-of-at-least-32-bytes!!",
]);

/** Fewer distinct characters than this is a placeholder (`"x".repeat(32)`), not a secret. */
const MIN_DISTINCT_CHARACTERS = 8;

/** What production needs of the environment beyond its types (the variables it reads). */
export interface ProductionEnvironment {
  DATABASE_URL?: string;
  JWT_SECRET?: string;
  JWT_PUBLIC_KEY?: string;
  JWT_JWKS_URL?: string;
  DINGTALK_API_BASE: string;
  DINGTALK_OAPI_BASE: string;
  METRICS_TOKEN?: string;
  METRICS_PUBLIC: boolean;
}

function isHttps(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * Why the environment may not run as APP_ENV=production, one line per variable (empty when it
 * may): a missing database or JWT key, a key or identity URL that is not https:, a JWT secret
 * shipped in this repository, or a /metrics that nobody decided to make public.
 */
export function productionProblems(env: ProductionEnvironment): string[] {
  const problems: string[] = [];
  if (!env.DATABASE_URL) problems.push("DATABASE_URL is required");
  if (!env.JWT_SECRET && !env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL) {
    problems.push("JWT_SECRET (or JWT_PUBLIC_KEY / JWT_JWKS_URL) is required");
  }
  for (const name of ["JWT_JWKS_URL", "DINGTALK_API_BASE", "DINGTALK_OAPI_BASE"] as const) {
    const value = env[name];
    if (value !== undefined && !isHttps(value)) problems.push(`${name} must be an https: URL`);
  }
  const secret = env.JWT_SECRET;
  if (
    secret !== undefined &&
    (SHIPPED_SECRETS.has(secret) || new Set(secret).size < MIN_DISTINCT_CHARACTERS)
  ) {
    problems.push("JWT_SECRET is a value shipped in the repository or a placeholder");
  }
  if (!env.METRICS_TOKEN && !env.METRICS_PUBLIC) {
    problems.push("METRICS_TOKEN is required unless METRICS_PUBLIC=true");
  }
  return problems;
}
