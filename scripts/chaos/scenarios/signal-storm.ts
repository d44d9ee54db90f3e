import { statusQuery, CASE_SIGNALS } from '../../../src/shared/messages';
import { caseInput, type Payment } from '../http';
import { executionStatuses, judge, waitForCasesToClose } from '../judge';
import { fromVerdict, openCases, payInFull, scaled, type Scenario } from '../scenario';

const CONCURRENCY = 50;

/**
 * 10. A storm of signals on one case: distinct one-fen payments, each delivered twice, far
 * more events than the server lets a run hold before it suggests continue-as-new. Every
 * payment must count once across the runs.
 */
export const signalStorm: Scenario = {
  id: 'signal-storm',
  title: 'Storm of 10,000 signals on one case, across continue-as-new',
  async run(ctx) {
    const s = await ctx.stack.scenario({ workers: 1 });
    const problems: string[] = [];
    const notes: string[] = [];
    const accepted: Payment[] = [];
    try {
      const input = caseInput('ss');
      await openCases(s, [input], problems);
      const signals = scaled(ctx, 10_000, 20);
      const distinct = Math.floor(signals / 2);
      const handle = ctx.stack.client.workflow.getHandle(`collection-${input.loanId}`);
      // The storm hits a running case: wait for its first workflow task (it answers queries then).
      await handle.query(statusQuery);
      const queue = Array.from({ length: signals }, (_, i) => i % distinct);
      const t0 = Date.now();
      let failedSends = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
            const payment = { paymentId: `STORM-${next}`, amountMinor: 1, currency: 'CNY', receivedAt: new Date().toISOString() };
            try {
              await handle.signal(CASE_SIGNALS.paymentReceived, payment);
            } catch {
              failedSends += 1;
            }
          }
        }),
      );
      notes.push(`${signals} signals sent in ${((Date.now() - t0) / 1000).toFixed(1)} s${failedSends ? `, ${failedSends} refused` : ''}`);
      for (let i = 0; i < distinct; i += 1) accepted.push({ loanId: input.loanId, paymentId: `STORM-${i}`, amountMinor: 1, currency: 'CNY', receivedAt: '' });

      const status = await handle.query(statusQuery);
      if (status.paidMinor !== distinct) problems.push(`paidMinor ${status.paidMinor} after ${distinct} distinct one-fen payments`);
      await payInFull(s, [input], accepted, problems);
      const running = await waitForCasesToClose(ctx.stack.client, s.taskQueue, 1, 180_000);
      if (running > 0) notes.push('the case is still running at judgement');
      const runs = (await executionStatuses(ctx.stack.client, s.taskQueue)).get(`collection-${input.loanId}`) ?? [];
      const continued = runs.filter((r) => r === 'ContinuedAsNew').length;
      notes.push(`${runs.length} runs (${continued} continued as new)`);
      if (signals >= 5_000 && continued === 0) problems.push('the storm never crossed continue-as-new');
      const verdict = await judge({ client: ctx.stack.client, taskQueue: s.taskQueue, inputs: [input], ledger: ctx.stack.sandbox.ledger(), accepted });
      // No history recorded: thousands of events would bloat the repository for little replay value.
      return fromVerdict(verdict, signals, `${signals} payment signals (${distinct} distinct, each twice)`, problems, notes);
    } finally {
      await s.close();
    }
  },
};
