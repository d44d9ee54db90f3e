import { caseInput, fullPayment, pay, type Payment } from '../http';
import { judge, waitForCasesToClose } from '../judge';
import { fromVerdict, openCases, scaled, unexpectedAnswer, type Scenario } from '../scenario';

/**
 * 6. Twenty identical webhooks at once (counted once, all answered 202), and webhooks
 * racing the case's completion: each lands while the case is open (202) or finds no open
 * case (404 `case_not_found`); never a 5xx, never a 202 for a payment that was not counted.
 */
export const webhooks: Scenario = {
  id: 'webhooks',
  title: '20 identical webhooks at once; webhooks racing completion',
  async run(ctx) {
    const s = await ctx.stack.scenario({ workers: 1 });
    const problems: string[] = [];
    const notes: string[] = [];
    const accepted: Payment[] = [];
    let sent = 0;
    try {
      const identical = caseInput('wh');
      const racing = Array.from({ length: scaled(ctx, 3, 1) }, () => caseInput('wh'));
      const inputs = [identical, ...racing];
      await openCases(s, inputs, problems);

      // 20 deliveries of one payment, all at once.
      const copies = scaled(ctx, 20, 5);
      const once: Payment = { loanId: identical.loanId, paymentId: `SAME-${identical.loanId}`, amountMinor: 100_000, currency: 'CNY', receivedAt: new Date().toISOString() };
      const answers = await Promise.all(Array.from({ length: copies }, () => pay(s.api.url, once)));
      sent += copies;
      const not202 = answers.filter((a) => a.status !== 202);
      if (not202.length > 0) problems.push(`identical webhooks: ${not202.map((a) => `${a.status} ${a.code ?? ''}`).join(', ')}`);
      else accepted.push(once);

      // Small payments keep arriving while a full payment closes each racing case.
      const byStatus = new Map<string, number>();
      await Promise.all(
        racing.map(async (input) => {
          const stream = (async () => {
            for (let i = 0; i < 40; i += 1) {
              const payment: Payment = { loanId: input.loanId, paymentId: `RACE-${input.loanId}-${i}`, amountMinor: 100, currency: 'CNY', receivedAt: new Date().toISOString() };
              const answer = await pay(s.api.url, payment);
              sent += 1;
              const label = `${answer.status}${answer.code ? ` ${answer.code}` : ''}`;
              byStatus.set(label, (byStatus.get(label) ?? 0) + 1);
              if (answer.status === 202) accepted.push(payment);
              else if (answer.status !== 404 || answer.code !== 'case_not_found' || unexpectedAnswer(answer)) problems.push(`racing payment ${payment.paymentId}: ${label}`);
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
          })();
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          const full = fullPayment(input, `FULL-${input.loanId}`);
          const answer = await pay(s.api.url, full);
          sent += 1;
          if (answer.status === 202) accepted.push(full);
          else problems.push(`full payment of ${input.loanId}: ${answer.status} ${answer.code ?? ''}`);
          await stream;
          // A redelivery of the payment that closed the case is accepted again, counted once.
          const again = await pay(s.api.url, full);
          sent += 1;
          if (again.status !== 202) problems.push(`redelivery after close of ${full.paymentId}: ${again.status} ${again.code ?? ''}`);
        }),
      );
      notes.push(`racing answers: ${[...byStatus].map(([k, v]) => `${v} x ${k}`).join(', ')}`);

      const full = fullPayment(identical, `FULL-${identical.loanId}`);
      if ((await pay(s.api.url, full)).status === 202) accepted.push(full);
      const running = await waitForCasesToClose(ctx.stack.client, s.taskQueue, inputs.length, 180_000);
      if (running > 0) notes.push(`${running} case(s) still running at judgement`);
      const verdict = await judge({ client: ctx.stack.client, taskQueue: s.taskQueue, inputs, ledger: ctx.stack.sandbox.ledger(), accepted });
      return fromVerdict(verdict, sent, `${copies} identical + ${sent - copies} racing webhooks`, problems, notes, `collection-${identical.loanId}`);
    } finally {
      await s.close();
    }
  },
};
