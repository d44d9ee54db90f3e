import { runCases, scaled, type Scenario } from '../scenario';

/** 3. Provider 5xx, 429 with Retry-After, and responses slower than the activity timeout (10 s on the fast policy). */
export const providerFaults: Scenario = {
  id: 'provider-faults',
  title: 'Provider 5xx, 429 + Retry-After, timeouts',
  run: (ctx) =>
    runCases(ctx, 'pf', {
      count: scaled(ctx, 10, 2),
      faultsDescription: '20% 503, 10% 429 (Retry-After 1 s), 5% stalled 12 s',
      async faults(_s, inputs) {
        ctx.stack.sandbox.setFaults({ errorRate: 0.2, rateLimitRate: 0.1, retryAfterSeconds: 1, slowRate: 0.05, slowMs: 12_000 });
        await new Promise((resolve) => setTimeout(resolve, 40_000 * Math.max(ctx.scale, 0.5)));
        const prefixes = inputs.map((i) => `collection-${i.loanId}/`);
        const refused = ctx.stack.sandbox.ledger().requests.filter((r) => (r.status === 503 || r.status === 429) && prefixes.some((p) => r.idempotencyKey?.startsWith(p)));
        return refused.length;
      },
    }),
};
