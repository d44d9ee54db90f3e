import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTemporalCli } from '../scripts/tools/temporal-cli';
import { caseWorkflowId } from '../src/shared/ids';
import type { CaseStatus } from '../src/shared/schemas';
import { API_TOKEN, startApi, type ApiServer } from './support/api';
import { eventually } from './support/eventually';
import { caseInput, FAST_POLICY, startHarness, waitForStatus, type Harness } from './support/harness';
import { derivePolicy, scaleSeconds } from './support/policies';

/**
 * Ops answer their questions with the stock `temporal` CLI on our cases: find, signal, query,
 * show. Payloads are encrypted, so the CLI goes through the API's codec endpoint, as the
 * README shows (`--codec-endpoint .../codec --codec-auth "Bearer <token>"`).
 */
let h: Harness;
let api: ApiServer;
let cli: string;
beforeAll(async () => {
  // The fast policy four times faster: the cases reach the lawyer's letter in about 8 s, not 30.
  h = await startHarness({ policyFiles: [derivePolicy(FAST_POLICY, (p) => scaleSeconds(p, 0.25))] });
  api = await startApi(h);
  cli = await ensureTemporalCli();
});
afterAll(async () => {
  await api?.close();
  await h?.stop();
});

async function temporal(...args: string[]): Promise<string> {
  const connection = ['--address', inject('temporalAddress'), '--namespace', inject('temporalNamespace')];
  const codec = ['--codec-endpoint', `${api.url}/codec`, '--codec-auth', `Bearer ${API_TOKEN}`];
  const { stdout } = await promisify(execFile)(cli, [...args, ...connection, ...codec], { maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}

describe('the stock temporal CLI on collection cases', () => {
  it('finds large lawyer-letter cases, signals a payment and queries the status', { timeout: 120_000 }, async () => {
    const history = { previousDelinquencies: 0, brokenPromises: 0, monthsOnBook: 120 };
    const large = caseInput({ amountDueMinor: 15_000_000, history });
    const small = caseInput({ amountDueMinor: 6_000_000, history });
    await Promise.all([h.cases.open(large), h.cases.open(small)]);
    // Hold both cases in the lawyer's-letter stage so the search has something stable to find.
    for (const input of [large, small]) {
      await waitForStatus(h, input.loanId, (s) => s.stage === 'lawyer_letter', 60_000);
      await h.cases.signal(input.loanId, 'pause', { reason: 'held for the CLI test' });
    }

    const query = "CollectionStage='lawyer_letter' AND OutstandingMinor > 10000000";
    const found = await eventually(
      async () =>
        (await temporal('workflow', 'list', '--query', query, '--output', 'jsonl')).split('\n').filter(Boolean).flatMap((line) => {
          const parsed = JSON.parse(line) as { execution?: { workflowId: string } } | Array<{ execution: { workflowId: string } }>;
          return (Array.isArray(parsed) ? parsed : [parsed]).map((e) => e.execution?.workflowId ?? '');
        }),
      (ids) => ids.includes(caseWorkflowId(large.loanId)),
      { timeoutMs: 20_000, what: 'visibility to list the large case' },
    );
    expect(found).toContain(caseWorkflowId(large.loanId));
    expect(found).not.toContain(caseWorkflowId(small.loanId));

    const payment = { paymentId: 'CLI-1', amountMinor: 100_000, currency: 'CNY', receivedAt: new Date().toISOString() };
    await temporal('workflow', 'signal', '--workflow-id', caseWorkflowId(large.loanId), '--name', 'paymentReceived', '--input', JSON.stringify(payment));
    const status = await eventually(
      async () => (JSON.parse(await temporal('workflow', 'query', '--workflow-id', caseWorkflowId(large.loanId), '--type', 'status', '--output', 'json')) as { queryResult: CaseStatus[] }).queryResult[0],
      (s) => s?.paidMinor === 100_000,
      { timeoutMs: 20_000, what: 'the signalled payment in the status' },
    );
    expect(status).toMatchObject({ loanId: large.loanId, paidMinor: 100_000, outstandingMinor: 14_900_000, state: 'paused', stage: 'lawyer_letter' });

    const shown = JSON.parse(await temporal('workflow', 'show', '--workflow-id', caseWorkflowId(large.loanId), '--output', 'json')) as {
      events: Array<{ activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }>;
    };
    const activities = shown.events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    expect(activities).toEqual(expect.arrayContaining(['sendSms', 'createCallTask', 'sendLetter', 'sendLawyerLetter']));
    for (const input of [large, small]) await h.client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });
});
