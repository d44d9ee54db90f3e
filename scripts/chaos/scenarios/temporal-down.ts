import { WorkflowNotFoundError } from '@temporalio/client';
import { timelineQuery } from '../../../src/shared/messages';
import { type Answer, caseInput, health, openCase, pay, type Payment } from '../http';
import { judge, waitForCasesToClose } from '../judge';
import { fromVerdict, openCases, payInFull, scaled, type Scenario } from '../scenario';

/**
 * 5. Temporal is unreachable while webhooks and case openings arrive: every one is answered
 * 503 `temporal_unavailable` with Retry-After, /healthz says so, nothing is half-applied;
 * once Temporal is back, the senders' retries land, each counted once.
 */
export const temporalDown: Scenario = {
  id: 'temporal-down',
  title: 'Temporal unreachable: 503 + Retry-After, nothing half-applied',
  async run(ctx) {
    const s = await ctx.stack.scenario({ workers: 1 });
    const problems: string[] = [];
    const notes: string[] = [];
    const accepted: Payment[] = [];
    try {
      const open = Array.from({ length: scaled(ctx, 5, 2) }, () => caseInput('td'));
      await openCases(s, open, problems);
      const late = Array.from({ length: scaled(ctx, 5, 2) }, () => caseInput('td'));
      const partials: Payment[] = open.map((input) => ({ loanId: input.loanId, paymentId: `DOWN-${input.loanId}`, amountMinor: 1_000, currency: input.currency, receivedAt: new Date().toISOString() }));

      await ctx.stack.server.kill9();
      const started = Date.now();
      const timed = async (request: Promise<Answer>) => {
        const t0 = Date.now();
        const answer = await request;
        return { answer, ms: Date.now() - t0 };
      };
      const [healthDown, ...answers] = await Promise.all([
        timed(health(s.api.url)),
        ...partials.map((p) => timed(pay(s.api.url, p))),
        ...late.map((input) => timed(openCase(s.api.url, input))),
      ]);
      const refusals = [healthDown!, ...answers];
      for (const { answer } of refusals) {
        if (answer.status !== 503 || answer.code !== 'temporal_unavailable' || answer.retryAfter === null) {
          problems.push(`while Temporal was down: ${answer.status} ${answer.code ?? ''} (Retry-After ${answer.retryAfter ?? 'absent'})`);
        }
      }
      const slowest = Math.max(...refusals.map((r) => r.ms));
      notes.push(`503 answered within ${(slowest / 1000).toFixed(1)} s (slowest of ${refusals.length})`);

      await ctx.stack.server.up();
      notes.push(`Temporal down ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await s.workers.ready();

      // Nothing half-applied: no case opened, no payment counted for a 503.
      for (const input of late) {
        try {
          await ctx.stack.client.workflow.getHandle(`collection-${input.loanId}`).describe();
          problems.push(`${input.loanId} exists although its opening was answered 503`);
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }
      for (const payment of partials) {
        const timeline = await ctx.stack.client.workflow.getHandle(`collection-${payment.loanId}`).query(timelineQuery);
        if (timeline.some((e) => e.data?.paymentId === payment.paymentId)) problems.push(`${payment.paymentId} counted although it was answered 503`);
      }

      // The senders retry: now everything lands, once.
      const healthUp = await health(s.api.url);
      if (healthUp.status !== 200) problems.push(`/healthz after recovery: ${healthUp.status}`);
      await openCases(s, late, problems);
      for (const payment of partials) {
        const answer = await pay(s.api.url, payment);
        if (answer.status === 202) accepted.push(payment);
        else problems.push(`retried ${payment.paymentId} answered ${answer.status} ${answer.code ?? ''}`);
      }

      const inputs = [...open, ...late];
      await payInFull(s, inputs, accepted, problems);
      const running = await waitForCasesToClose(ctx.stack.client, s.taskQueue, inputs.length, 180_000);
      if (running > 0) notes.push(`${running} case(s) still running at judgement`);
      const verdict = await judge({ client: ctx.stack.client, taskQueue: s.taskQueue, inputs, ledger: ctx.stack.sandbox.ledger(), accepted });
      return fromVerdict(verdict, refusals.length, `server down; ${partials.length} webhooks, ${late.length} openings, /healthz`, problems, notes, `collection-${open[0]!.loanId}`);
    } finally {
      await s.close();
    }
  },
};
