import { z } from 'zod';

/**
 * Fault injection for the provider endpoints: stall every response, fail a share of
 * them with 503, or fail the first N attempts of each idempotency key so retries are
 * exercised deterministically.
 */

export const FaultConfig = z.strictObject({
  latencyMs: z.number().int().min(0).max(600_000),
  /** Probability (0..1) that an attempt gets a 503. */
  errorRate: z.number().min(0).max(1),
  /** The first N attempts carrying the same Idempotency-Key get a 503. */
  failFirstAttempts: z.number().int().min(0),
  /** Path prefixes the faults apply to; absent or empty means every /v1 route. */
  paths: z.array(z.string().startsWith('/')).optional(),
});
export type FaultConfig = z.infer<typeof FaultConfig>;

export const FaultPatch = FaultConfig.partial();
export type FaultPatch = z.infer<typeof FaultPatch>;

export const noFaults: FaultConfig = { latencyMs: 0, errorRate: 0, failFirstAttempts: 0 };

export interface FaultDecision {
  delayMs: number;
  /** Why the attempt fails with 503; absent when it goes through. */
  failure?: string;
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
   * @param random source of [0, 1) numbers for errorRate
   */
  decide(path: string, attempt: number | undefined, random: () => number): FaultDecision {
    const { latencyMs, errorRate, failFirstAttempts, paths } = this.config;
    if (paths && paths.length > 0 && !paths.some((prefix) => path.startsWith(prefix))) return { delayMs: 0 };
    if (attempt !== undefined && attempt <= failFirstAttempts) {
      return { delayMs: latencyMs, failure: `injected fault: attempt ${attempt} of the first ${failFirstAttempts} fails` };
    }
    if (errorRate > 0 && random() < errorRate) return { delayMs: latencyMs, failure: 'injected fault: random error' };
    return { delayMs: latencyMs };
  }
}
