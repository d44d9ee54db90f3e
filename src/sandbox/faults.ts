import { z } from 'zod';

/**
 * Fault injection for the provider endpoints: stall every response, fail a share of
 * them with 503 or 429, fail the first N attempts of each idempotency key so retries are
 * exercised deterministically, stall a share of them past the caller's timeout, or lose
 * the response after the effect (the delivery is recorded, then the connection dropped).
 */

const Rate = z.number().min(0).max(1);

export const FaultConfig = z.strictObject({
  latencyMs: z.number().int().min(0).max(600_000),
  /** Probability (0..1) that an attempt gets a 503. */
  errorRate: Rate,
  /** The first N attempts carrying the same Idempotency-Key get a 503. */
  failFirstAttempts: z.number().int().min(0),
  /** Probability (0..1) that an attempt gets a 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitRate: Rate.optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  /** Probability (0..1) that an attempt is stalled `slowMs` more before it is handled (the effect lands even if the caller gave up). */
  slowRate: Rate.optional(),
  slowMs: z.number().int().min(0).max(600_000).optional(),
  /** Probability (0..1) that an accepted attempt's response is lost: delivered, then the connection is dropped. */
  dropResponseRate: Rate.optional(),
  /** The first N attempts carrying the same Idempotency-Key are delivered, then lose their response. */
  dropFirstResponses: z.number().int().min(0).optional(),
  /** Path prefixes the faults apply to; absent or empty means every /v1 route. */
  paths: z.array(z.string().startsWith('/')).optional(),
});
export type FaultConfig = z.infer<typeof FaultConfig>;

export const FaultPatch = FaultConfig.partial();
export type FaultPatch = z.infer<typeof FaultPatch>;

export const noFaults: FaultConfig = { latencyMs: 0, errorRate: 0, failFirstAttempts: 0 };

const DEFAULT_RETRY_AFTER_SECONDS = 1;

export interface FaultDecision {
  delayMs: number;
  /** An injected refusal (503, or 429 with Retry-After); absent when the attempt goes through. */
  failure?: { status: 503 | 429; message: string; retryAfterSeconds?: number };
  /** The attempt is handled (delivered or replayed) and then its connection dropped without an answer. */
  dropResponse?: true;
}

export class Faults {
  private config: FaultConfig;

  constructor(private readonly initial: FaultConfig) {
    this.config = structuredClone(initial);
  }

  current(): FaultConfig {
    return structuredClone(this.config);
  }

  /** Merges a patch into the running config; throws a ZodError on a bad patch. */
  update(patch: FaultPatch): FaultConfig {
    this.config = FaultConfig.parse({ ...this.config, ...FaultPatch.parse(patch) });
    return this.current();
  }

  /** Back to the config the sandbox was started with. */
  reset(): void {
    this.config = structuredClone(this.initial);
  }

  /**
   * @param attempt 1-based attempt number for the request's idempotency key, if it has one
   * @param random source of [0, 1) numbers for the rates
   */
  decide(path: string, attempt: number | undefined, random: () => number): FaultDecision {
    const c = this.config;
    if (c.paths && c.paths.length > 0 && !c.paths.some((prefix) => path.startsWith(prefix))) return { delayMs: 0 };
    const chance = (rate: number | undefined) => rate !== undefined && rate > 0 && random() < rate;
    const delayMs = c.latencyMs + (chance(c.slowRate) ? (c.slowMs ?? 0) : 0);
    if (attempt !== undefined && attempt <= c.failFirstAttempts) {
      return { delayMs, failure: { status: 503, message: `injected fault: attempt ${attempt} of the first ${c.failFirstAttempts} fails` } };
    }
    if (chance(c.errorRate)) return { delayMs, failure: { status: 503, message: 'injected fault: random error' } };
    if (chance(c.rateLimitRate)) {
      const retryAfterSeconds = c.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
      return { delayMs, failure: { status: 429, message: 'injected fault: rate limited', retryAfterSeconds } };
    }
    const dropFirst = attempt !== undefined && attempt <= (c.dropFirstResponses ?? 0);
    if (dropFirst || chance(c.dropResponseRate)) return { delayMs, dropResponse: true };
    return { delayMs };
  }
}
