import { spawn } from 'node:child_process';
import path from 'node:path';
import { ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createErrorHandler } from '../src/api/errors';
import { createMetrics } from '../src/api/metrics';
import { caseInput, health, openCase, pay, type Payment } from '../scripts/chaos/http';
import { judge, waitForCasesToClose } from '../scripts/chaos/judge';
import { openCases, payInFull } from '../scripts/chaos/scenario';
import { API_TOKEN, REPO_ROOT, startStack, WEBHOOK_SECRET, type ScenarioStack, type Stack } from '../scripts/chaos/stack';
import { eventually } from './support/eventually';
import { tsEntryArgs } from '../scripts/tools/ts-entry';

/**
 * The CI subset of `npm run chaos` (scripts/chaos): a few cases on a stack of its own (a
 * dev server it may kill, a worker process it may kill), through one worker kill -9, the
 * provider's first answer to every step lost after the effect, Temporal unreachable while
 * a webhook and a case opening arrive, and identical webhooks at once. Judged like the
 * full matrix: the sandbox's ledger against the cases' own state.
 */

let stack: Stack;
let s: ScenarioStack;

/** The suite's polling helper, every 200 ms. */
async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  await eventually(predicate, (ok) => ok, { timeoutMs, what, intervalMs: 200 });
}

/**
 * The API as its own process (the entry `npm run api` runs), on this stack's Temporal server and
 * task queue: spec section 13 seen from outside, e.g. by a fault script that restarts it.
 */
function startApiProcess(): { url: Promise<string>; kill(): void } {
  const env = { ...process.env, TEMPORAL_ADDRESS: stack.server.address, TASK_QUEUE: s.taskQueue, PORT: '0', HOST: '127.0.0.1', API_TOKEN, WEBHOOK_SECRET, PAYLOAD_KEYS_FILE: path.join(stack.dir, 'payload-keys.json'), LOG_FORMAT: 'json', DATABASE_URL: '' };
  const child = spawn(process.execPath, tsEntryArgs(path.join(REPO_ROOT, 'src/api/main.ts')), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const url = until('the API process listening', () => output.includes('"api listening"') || child.exitCode !== null).then(() => {
    const line = output.split('\n').find((l) => l.includes('"api listening"'));
    if (!line) throw new Error(`the API process exited: ${output}`);
    return String((JSON.parse(line) as { url: string }).url);
  });
  return { url, kill: () => void child.kill('SIGKILL') };
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
  it('loses and duplicates nothing through a worker kill -9, lost responses, Temporal down (an API process started meanwhile answers 503 too) and identical webhooks', async () => {
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
    // An API process that starts while Temporal is down listens anyway: 503 with Retry-After, then serves once it is back.
    const lateApi = startApiProcess();
    const down: Payment = { loanId: inputs[1]!.loanId, paymentId: 'CI-DOWN-1', amountMinor: 1_000, currency: 'CNY', receivedAt: new Date().toISOString() };
    let lateApiServes: Promise<void> | undefined;
    try {
      const late = caseInput('ci');
      const refusals = await Promise.all([health(s.api.url), pay(s.api.url, down), openCase(s.api.url, late), lateApi.url.then((url) => health(url))]);
      for (const answer of refusals) expect(answer).toEqual({ status: 503, code: 'temporal_unavailable', retryAfter: '5' });
      await stack.server.up();
      const lateUrl = await lateApi.url;
      lateApiServes = until('the late API process healthy once Temporal is back', async () => (await health(lateUrl)).status === 200);
      lateApiServes.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
      await s.workers.ready();
      await expect(stack.client.workflow.getHandle(`collection-${late.loanId}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
      expect((await deliver(down)).status).toBe(202);
      accepted.push(down);
      await lateApiServes;
    } finally {
      lateApi.kill();
    }

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

describe('API error mapping under faults', () => {
  // What the server answered webhooks sent right after a worker kill -9 in scenario 1 (it was a 500).
  it('an update refused while the case\'s workflow task is failing is 503 temporal_unavailable with Retry-After', async () => {
    const details = 'Unable to perform workflow execution update due to Workflow Task in failed state.';
    const refused = new ServiceError('Workflow Update failed', { cause: Object.assign(new Error(`9 FAILED_PRECONDITION: ${details}`), { code: 9, details, metadata: {} }) });
    const app = Fastify();
    app.setErrorHandler(createErrorHandler(createMetrics()));
    app.post('/v1/payments', async () => {
      throw refused;
    });
    const reply = await app.inject({ method: 'POST', url: '/v1/payments' });
    expect(reply.statusCode).toBe(503);
    expect(reply.headers['retry-after']).toBe('5');
    expect(reply.json()).toMatchObject({ error: { code: 'temporal_unavailable' } });
    await app.close();
  });
});
