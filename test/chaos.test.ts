import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { caseInput, health, openCase, pay, type Payment } from '../scripts/chaos/http';
import { judge, waitForCasesToClose } from '../scripts/chaos/judge';
import { openCases, payInFull } from '../scripts/chaos/scenario';
import { startStack, type ScenarioStack, type Stack } from '../scripts/chaos/stack';

/**
 * The CI subset of `npm run chaos` (scripts/chaos): a few cases on a stack of its own (a
 * dev server it may kill, a worker process it may kill), through one worker kill -9, the
 * provider's first answer to every step lost after the effect, Temporal unreachable while
 * a webhook and a case opening arrive, and identical webhooks at once. Judged like the
 * full matrix: the sandbox's ledger against the cases' own state.
 */

let stack: Stack;
let s: ScenarioStack;

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  stack = await startStack(() => undefined, inject('workflowBundlePath'));
  s = await stack.scenario({ workers: 1 });
});

afterAll(async () => {
  await s?.close();
  await stack?.close();
});

describe('fault matrix subset', () => {
  it('loses and duplicates nothing through a worker kill -9, lost responses, Temporal down and identical webhooks', async () => {
    const problems: string[] = [];
    const accepted: Payment[] = [];
    const inputs = [caseInput('ci'), caseInput('ci'), caseInput('ci')];
    const prefixes = inputs.map((i) => `collection-${i.loanId}/`);
    const dropped = () => stack.sandbox.ledger().requests.filter((r) => r.status === 0 && prefixes.some((p) => r.idempotencyKey?.startsWith(p))).length;

    stack.sandbox.setFaults({ dropFirstResponses: 1 });
    await openCases(s, inputs, problems);
    await until('a provider response lost after its effect', () => dropped() >= 2);
    await s.workers.kill9AndRestart(0);

    // A sender retries a 503 (temporal_unavailable, e.g. while the restarted worker picks the case up), as Retry-After says.
    const deliver = async (payment: Payment) => {
      for (let attempt = 1; ; attempt += 1) {
        const answer = await pay(s.api.url, payment);
        if (answer.status !== 503 || attempt === 10) return answer;
        expect(answer).toMatchObject({ code: 'temporal_unavailable', retryAfter: '5' });
      }
    };
    const once: Payment = { loanId: inputs[0]!.loanId, paymentId: 'CI-SAME-1', amountMinor: 100_000, currency: 'CNY', receivedAt: new Date().toISOString() };
    const identical = await Promise.all(Array.from({ length: 10 }, () => deliver(once)));
    expect(identical.map((a) => a.status)).toEqual(Array.from({ length: 10 }, () => 202));
    accepted.push(once);

    await stack.server.kill9();
    const late = caseInput('ci');
    const down: Payment = { loanId: inputs[1]!.loanId, paymentId: 'CI-DOWN-1', amountMinor: 1_000, currency: 'CNY', receivedAt: new Date().toISOString() };
    const refusals = await Promise.all([health(s.api.url), pay(s.api.url, down), openCase(s.api.url, late)]);
    for (const answer of refusals) expect(answer).toEqual({ status: 503, code: 'temporal_unavailable', retryAfter: '5' });
    await stack.server.up();
    await s.workers.ready();
    await expect(stack.client.workflow.getHandle(`collection-${late.loanId}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await deliver(down)).status).toBe(202);
    accepted.push(down);

    stack.sandbox.setFaults({ dropFirstResponses: 0 });
    await payInFull(s, inputs, accepted, problems);
    expect(await waitForCasesToClose(stack.client, s.taskQueue, inputs.length, 90_000)).toBe(0);
    const verdict = await judge({ client: stack.client, taskQueue: s.taskQueue, inputs, ledger: stack.sandbox.ledger(), accepted });
    expect(problems).toEqual([]);
    expect(verdict.problems).toEqual([]);
    expect(verdict).toMatchObject({ cases: 3, closed: 3, lost: 0, duplicated: 0, failed: 0, unexplained: 0 });
    expect(verdict.deliveries).toBeGreaterThanOrEqual(2);
    expect(s.workers.kills).toBe(1);
    expect(stack.server.kills).toBe(1);
  });
});
