import { fork, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import autocannon from 'autocannon';
import { signatureHeader } from '../src/api/signature';
import { CaseService } from '../src/client/case-service';
import { REPO_ROOT, type BenchConfig } from './config';
import { caseInputs, RUN_TAG } from './fixtures';
import { log } from './log';
import type { Stack } from './stack';
import { mapPool } from './stats';

export type WebhookHandler = 'api' | 'minimal';

export interface LoadRun {
  handler: WebhookHandler;
  /** Requests per second asked of the load generator; undefined = as fast as it gets answers. */
  targetRate?: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

export interface WebhookResult {
  cases: number;
  connections: number;
  seconds: number;
  runs: LoadRun[];
  maxApi: number;
  maxMinimal: number;
  /** api max rate / minimal max rate (goal >= 0.8). */
  throughputRatio: number;
  /** p99 of the real API at 70 % of its own max rate (goal < 50 ms). */
  p99At70PercentMs: number;
  minimalP99AtSameRateMs: number;
}

const SECRET = 'bench-webhook-secret-0123456789';
const CASES = 100;
const CONNECTIONS = 32;
const SECONDS = 6;

async function startServer(handler: WebhookHandler, stack: Stack, taskQueue: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child: ChildProcess = fork(path.join(__dirname, 'webhook-server.ts'), [], {
    cwd: REPO_ROOT,
    execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href],
    env: { ...process.env, NODE_OPTIONS: '', BENCH_WEBHOOK_HANDLER: handler, TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: stack.namespace, TASK_QUEUE: taskQueue, PAYLOAD_KEYS_FILE: stack.payloadKeysFile, WEBHOOK_SECRET: SECRET, API_DEV_MODE: 'true', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    void exited.then(() => reject(new Error(`webhook server (${handler}) exited before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.connected) child.disconnect();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** A fresh, validly signed payment of 0.01 to one of the open cases on every request. */
let loadRuns = 0;

function load(url: string, loanIds: string[], handler: WebhookHandler, rate: number | undefined, seconds: number): Promise<LoadRun> {
  let sequence = 0;
  const runTag = `${RUN_TAG}-${++loadRuns}`;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/v1/payments`,
        connections: CONNECTIONS,
        duration: seconds,
        ...(rate ? { overallRate: Math.max(1, Math.round(rate)) } : {}),
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => {
              const n = sequence++;
              const body = JSON.stringify({
                loanId: loanIds[n % loanIds.length],
                paymentId: `wh-${runTag}-${n}`,
                amountMinor: 1,
                currency: 'CNY',
                receivedAt: new Date().toISOString(),
              });
              return { ...request, body, headers: { 'content-type': 'application/json', 'x-signature': signatureHeader(SECRET, body) } };
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          handler,
          targetRate: rate,
          requestsPerSec: result.requests.average,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          requests: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
        });
      },
    );
  });
}

/**
 * Benchmark 5: the payment webhook (`POST /v1/payments`, signed) of the real API against a
 * minimal handler (HMAC verified, the same `applyPayment` update sent), each in a forked process on
 * 127.0.0.1, loaded by autocannon from the bench process: first as fast as each answers
 * (max rate, 32 connections), then at a fixed 70 % of the API's max rate (overallRate) for
 * the p99. Payments of 0.01 go to 100 open cases (bench policy, served by the lifecycle
 * worker), each request a new paymentId.
 */
export async function benchWebhook(stack: Stack, taskQueue: string, config: BenchConfig): Promise<WebhookResult> {
  const { client } = stack;
  const cases = new CaseService(client, taskQueue, stack.policies);
  const inputs = caseInputs('webhook', CASES);
  await mapPool(inputs, config.concurrency, (input) => cases.open(input));
  const loanIds = inputs.map((i) => i.loanId);

  const servers = { api: await startServer('api', stack, taskQueue), minimal: await startServer('minimal', stack, taskQueue) };
  try {
    const runs: LoadRun[] = [];
    const run = async (handler: WebhookHandler, rate: number | undefined, seconds = SECONDS) => {
      const result = await load(servers[handler].url, loanIds, handler, rate, seconds);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`webhook ${handler}: ${result.non2xx} non-2xx answers, ${result.errors} errors out of ${result.requests}`);
      runs.push(result);
      log(`webhook ${handler} ${rate ? `at ${rate.toFixed(0)}/s` : 'max'}: ${result.requestsPerSec.toFixed(0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
      return result;
    };
    // Warm-up (connections, JIT, zod), not counted.
    await load(servers.api.url, loanIds, 'api', undefined, 2);
    await load(servers.minimal.url, loanIds, 'minimal', undefined, 2);
    // The machine is shared: the two handlers alternate in three rounds of 2 s (a burst of
    // someone else's load then falls on both), and each max rate is requests / seconds overall.
    const rounds = 3;
    const maxRuns: Record<WebhookHandler, LoadRun[]> = { api: [], minimal: [] };
    for (let round = 0; round < rounds; round++) {
      for (const handler of round % 2 === 0 ? (['minimal', 'api'] as const) : (['api', 'minimal'] as const)) maxRuns[handler].push(await run(handler, undefined, SECONDS / rounds));
    }
    const overall = (handler: WebhookHandler) => maxRuns[handler].reduce((sum, r) => sum + r.requests, 0) / SECONDS;
    const maxMinimal = overall('minimal');
    const maxApi = overall('api');
    const rate = 0.7 * maxApi;
    const atRate = await run('api', rate);
    const minimalAtRate = await run('minimal', rate);
    return {
      cases: CASES,
      connections: CONNECTIONS,
      seconds: SECONDS,
      runs,
      maxApi,
      maxMinimal,
      throughputRatio: maxApi / maxMinimal,
      p99At70PercentMs: atRate.p99Ms,
      minimalP99AtSameRateMs: minimalAtRate.p99Ms,
    };
  } finally {
    await servers.api.stop();
    await servers.minimal.stop();
  }
}
