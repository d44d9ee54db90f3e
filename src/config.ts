import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from './shared/ids';
import { describeZodError } from './shared/schemas';

/**
 * Environment configuration (spec section 8), validated at start with messages that
 * name the variable. Each process parses only the part it needs.
 */

const Bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const TemporalEnv = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** TLS is on when any TLS variable or an API key (Temporal Cloud) is given, or TEMPORAL_TLS=true. */
  TEMPORAL_TLS: Bool.optional(),
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  /** The case archive (PostgreSQL, spec section 11). Reports, the case list and old evidence read it; without it they read Temporal visibility. */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` forces JSON logs, `pretty` human-readable ones; unset: pretty on a terminal, JSON elsewhere. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** JSON key file for payload encryption (src/payload-codec.ts); required unless ALLOW_TEST_POLICIES=true. */
  PAYLOAD_KEYS_FILE: z.string().min(1).optional(),
  /** Development and tests only: without PAYLOAD_KEYS_FILE, payloads go to Temporal unencrypted. */
  ALLOW_TEST_POLICIES: Bool.default(false),
});
export type TemporalEnv = z.infer<typeof TemporalEnv>;

/** What every process that opens cases or runs them needs: the policies (spec section 9). */
export const CaseEnv = TemporalEnv.extend({
  /** The default policy; every shipped policy stays selectable by a case's policyId. Default: the repo's policies/default.yaml, wherever the process runs from. */
  POLICY_FILE: z.string().min(1).default(path.resolve(__dirname, '../policies/default.yaml')),
  // ALLOW_TEST_POLICIES (in TemporalEnv) also lets test-only policies (`testOnly: true`, e.g. policies/fast.yaml) load.
});
export type CaseEnv = z.infer<typeof CaseEnv>;

export const WorkerEnv = CaseEnv.extend({
  SMS_PROVIDER_URL: z.url(),
  VOICE_PROVIDER_URL: z.url(),
  LETTER_PROVIDER_URL: z.url(),
  LEGAL_PROVIDER_URL: z.url(),
  /** Third-party collection agencies; without it, placements are recorded for a manual hand-off. */
  AGENCY_PROVIDER_URL: z.url().optional(),
  /** Cases kept in the worker's cache (about 2 MB of memory each); the SDK sizes it from the heap when unset. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;

export const ApiEnv = CaseEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Payment webhook HMAC secrets: WEBHOOK_SECRETS (comma-separated, for rotation) and/or the single WEBHOOK_SECRET; at least one. */
  WEBHOOK_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  WEBHOOK_SECRETS: z
    .string()
    .transform((list) => list.split(',').map((s) => s.trim()).filter((s) => s !== ''))
    .pipe(z.array(z.string().min(16, 'each secret at least 16 characters')).min(1, 'at least one secret'))
    .optional(),
  /** Operators with roles (YAML, see src/client/operators.ts). */
  OPERATORS_FILE: z.string().min(1).optional(),
  /** One more operator, id `admin`, role `admin`. Operators (this or OPERATORS_FILE) are required unless API_DEV_MODE=true. */
  API_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  API_DEV_MODE: Bool.default(false),
  /** Origins allowed to call /codec from a browser (the Temporal web UI), comma-separated. */
  CODEC_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((list) => list.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.url())),
  /**
   * Development only (npm start): /codec answers without a bearer token, because the dev
   * server's web UI cannot send one (it forwards only an OIDC access token).
   */
  CODEC_ALLOW_UNAUTHENTICATED: Bool.default(false),
});
export type ApiEnv = z.infer<typeof ApiEnv>;

/**
 * Every secret a webhook signature may be made with: the rotation list, then the single
 * one. Throws ConfigError when there is none (the API must not start).
 */
export function webhookSecrets(env: Pick<ApiEnv, 'WEBHOOK_SECRET' | 'WEBHOOK_SECRETS'>): string[] {
  const secrets = [...new Set([...(env.WEBHOOK_SECRETS ?? []), ...(env.WEBHOOK_SECRET ? [env.WEBHOOK_SECRET] : [])])];
  if (secrets.length === 0) throw new ConfigError('invalid configuration: WEBHOOK_SECRETS: set WEBHOOK_SECRETS (comma-separated) or WEBHOOK_SECRET, at least 16 characters each');
  return secrets;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // Empty strings count as unset, as they do in most deployment tools.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
