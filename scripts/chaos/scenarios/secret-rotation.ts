import { ApiEnv } from '../../../src/config';
import { timelineQuery } from '../../../src/shared/messages';
import { caseInput, pay, type Payment } from '../http';
import { judge, waitForCasesToClose } from '../judge';
import { fromVerdict, openCases, scaled, type Scenario } from '../scenario';
import { WEBHOOK_SECRET } from '../stack';

const NEW_SECRET = 'chaos-webhook-secret-rotated-0123';

/** Whether this code base reads WEBHOOK_SECRETS (spec section 10); before that, the scenario is pending. */
const rotationSupported = 'WEBHOOK_SECRETS' in ApiEnv.shape;

/**
 * 12. The webhook secret is rotated mid-run, as an operator does it: the API restarts with
 * both secrets (senders move over), then with the new one only. Deliveries signed with a
 * listed secret land once; one signed with a retired secret is refused (401) and changes nothing.
 */
export const secretRotation: Scenario = {
  id: 'secret-rotation',
  title: 'Webhook HMAC secret rotated mid-run',
  ...(rotationSupported ? {} : { pending: 'WEBHOOK_SECRETS (several webhook secrets, spec section 10) is not on this code base yet' }),
  async run(ctx) {
    const s = await ctx.stack.scenario({ workers: 1 });
    const problems: string[] = [];
    const notes: string[] = [];
    const accepted: Payment[] = [];
    let sent = 0;
    try {
      const inputs = Array.from({ length: scaled(ctx, 3, 1) }, () => caseInput('sr'));
      await openCases(s, inputs, problems);
      const payment = (input: (typeof inputs)[number], tag: string): Payment => ({ loanId: input.loanId, paymentId: `${tag}-${input.loanId}`, amountMinor: 1_000, currency: 'CNY', receivedAt: new Date().toISOString() });
      const expect = async (p: Payment, secret: string, status: number, phase: string) => {
        const answer = await pay(s.api.url, p, secret);
        sent += 1;
        if (answer.status === 202) accepted.push(p);
        if (answer.status !== status) problems.push(`${phase}: ${p.paymentId} answered ${answer.status} ${answer.code ?? ''}, expected ${status}`);
      };

      for (const input of inputs) await expect(payment(input, 'OLD'), WEBHOOK_SECRET, 202, 'before rotation');
      await s.restartApi({ WEBHOOK_SECRETS: `${NEW_SECRET},${WEBHOOK_SECRET}`, WEBHOOK_SECRET: '' });
      for (const input of inputs) {
        await expect(payment(input, 'MIX-OLD'), WEBHOOK_SECRET, 202, 'during rotation, old secret');
        await expect(payment(input, 'MIX-NEW'), NEW_SECRET, 202, 'during rotation, new secret');
      }
      await s.restartApi({ WEBHOOK_SECRETS: NEW_SECRET, WEBHOOK_SECRET: '' });
      const retired = inputs.map((input) => payment(input, 'RETIRED'));
      for (const p of retired) await expect(p, WEBHOOK_SECRET, 401, 'after rotation, retired secret');
      for (const input of inputs) await expect(payment(input, 'AFTER'), NEW_SECRET, 202, 'after rotation, new secret');
      notes.push(`${sent} webhooks across two API restarts`);

      // Full payments signed with the new secret close the cases.
      await Promise.all(
        inputs.map(async (input) => {
          const full: Payment = { loanId: input.loanId, paymentId: `FULL-${input.loanId}`, amountMinor: input.amountDueMinor, currency: 'CNY', receivedAt: new Date().toISOString() };
          const answer = await pay(s.api.url, full, NEW_SECRET);
          if (answer.status === 202) accepted.push(full);
        }),
      );
      const running = await waitForCasesToClose(ctx.stack.client, s.taskQueue, inputs.length, 180_000);
      if (running > 0) notes.push(`${running} case(s) still running at judgement`);
      for (const p of retired) {
        const timeline = await ctx.stack.client.workflow.getHandle(`collection-${p.loanId}`).query(timelineQuery);
        if (timeline.some((e) => e.data?.paymentId === p.paymentId)) problems.push(`${p.paymentId} was refused (retired secret) but counted`);
      }
      const verdict = await judge({ client: ctx.stack.client, taskQueue: s.taskQueue, inputs, ledger: ctx.stack.sandbox.ledger(), accepted });
      return fromVerdict(verdict, 2, 'two API restarts: old+new secrets, then new only', problems, notes, `collection-${inputs[0]!.loanId}`);
    } finally {
      await s.close();
    }
  },
};
