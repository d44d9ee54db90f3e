import { runCases, scaled, type Scenario } from '../scenario';

/** 2. The provider accepts each step, then the connection drops before the answer: the retry must complete the step with the same key. */
export const lostResponse: Scenario = {
  id: 'lost-response',
  title: 'Provider accepts, response lost',
  run: (ctx) =>
    runCases(ctx, 'lr', {
      count: scaled(ctx, 10, 2),
      faultsDescription: 'first response of every key dropped after the effect',
      async faults(_s, inputs) {
        ctx.stack.sandbox.setFaults({ dropFirstResponses: 1 });
        await new Promise((resolve) => setTimeout(resolve, 20_000 * Math.max(ctx.scale, 0.5)));
        // Each dropped answer is a request the sandbox recorded with status 0.
        const prefixes = inputs.map((i) => `collection-${i.loanId}/`);
        return ctx.stack.sandbox.ledger().requests.filter((r) => r.status === 0 && prefixes.some((p) => r.idempotencyKey?.startsWith(p))).length;
      },
    }),
};
