import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CaseService } from '../src/client/case-service';
import { caseWorkflowId } from '../src/shared/ids';
import { statusQuery } from '../src/shared/messages';
import type { CaseResult } from '../src/workflows/collection-case';
import { DEFAULT_POLICY, REPO_ROOT, type BenchConfig } from './config';
import { caseInputs } from './fixtures';
import { log } from './log';
import { CONFIG_ENV, type FromWorker, type MemorySnapshot, type MemoryWorkerConfig, type ToWorker } from './memory-protocol';
import { mapPool, median, pollUntil, sleep, withTimeout } from './stats';
import type { Stack, Teardown } from './stack';

const WARM_UP_CASES = 8;

/** The forked worker of bench/memory-worker.ts, driven over IPC. */
class MemoryWorkerProcess {
  private nextId = 0;
  private readonly listeners = new Set<(message: FromWorker) => void>();
  private exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromWorker) => this.listeners.forEach((listener) => listener(message)));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(config: MemoryWorkerConfig): Promise<MemoryWorkerProcess> {
    const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
    const child = fork(path.join(__dirname, 'memory-worker.ts'), [], {
      cwd: REPO_ROOT,
      execArgv: ['--expose-gc', '--import', tsxLoader],
      env: { ...process.env, NODE_OPTIONS: '', [CONFIG_ENV]: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const proc = new MemoryWorkerProcess(child);
    try {
      await proc.next((m) => m.type === 'ready', 90_000, 'memory worker to start');
    } catch (error) {
      await proc.stop();
      throw error;
    }
    return proc;
  }

  private next<T extends FromWorker>(match: (message: FromWorker) => message is T, timeoutMs: number, what: string): Promise<T>;
  private next(match: (message: FromWorker) => boolean, timeoutMs: number, what: string): Promise<FromWorker>;
  private next(match: (message: FromWorker) => boolean, timeoutMs: number, what: string): Promise<FromWorker> {
    let listener: ((message: FromWorker) => void) | undefined;
    const answer = new Promise<FromWorker>((resolve, reject) => {
      listener = (message) => {
        if (message.type === 'error') reject(new Error(`memory worker: ${message.message}`));
        else if (match(message)) resolve(message);
      };
      this.listeners.add(listener);
      void this.exited.then((code) => reject(new Error(`memory worker exited (code ${code}) while waiting for ${what}`)));
    });
    return withTimeout(answer, timeoutMs, `waiting for ${what}`).finally(() => this.listeners.delete(listener!));
  }

  async measure(): Promise<MemorySnapshot> {
    const id = ++this.nextId;
    this.child.send({ type: 'measure', id } satisfies ToWorker);
    const reply = await this.next((m): m is Extract<FromWorker, { type: 'memory' }> => m.type === 'memory' && m.id === id, 30_000, 'a memory reading');
    return reply.snapshot;
  }

  /** Asks for a clean shutdown; kills the process if it has not exited within 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies ToWorker);
    const clean = await Promise.race([this.exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!clean) {
      log('memory worker did not stop within 15 s; killing it');
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

export interface MemorySample {
  rep: number;
  coldIdle: MemorySnapshot;
  idle: MemorySnapshot;
  loaded: MemorySnapshot;
  rssPerCaseBytes: number;
  heapPerCaseBytes: number;
  rssRatio: number;
  heapRatio: number;
}

export interface MemoryResult {
  cases: number;
  samples: MemorySample[];
  idleRssBytes: number;
  idleHeapBytes: number;
  loadedRssBytes: number;
  loadedHeapBytes: number;
  rssPerCaseBytes: number;
  heapPerCaseBytes: number;
  rssRatio: number;
  heapRatio: number;
  gcForced: boolean;
}

/**
 * Benchmark 3: memory of a worker process (forked, `--expose-gc`, default policy) holding
 * N open cases that wait on timers, against the same worker idle. Each rep gets a fresh
 * process and task queue:
 *   1. start; read memory (cold idle, for reference);
 *   2. warm-up: a few cases opened and closed again (dispute upheld -> cancelled), so the
 *      workflow bundle is loaded into the worker's V8 context and its cache is empty again;
 *   3. read memory: the idle baseline;
 *   4. open N cases with policyId default (overdue today: first step a day or more away),
 *      wait until every one reports `active` with a future next action, read memory.
 * Per case = (loaded - idle) / N; readings after forced GCs.
 */
export async function benchMemory(stack: Stack, config: BenchConfig, teardown: Teardown): Promise<MemoryResult> {
  const samples: MemorySample[] = [];
  for (let rep = 1; rep <= config.repeats; rep++) {
    const taskQueue = `bench-memory-${randomUUID()}`;
    const cases = new CaseService(stack.client, taskQueue, stack.cases.policies);
    const proc = await MemoryWorkerProcess.start({
      address: stack.address,
      namespace: stack.namespace,
      taskQueue,
      workflowBundlePath: stack.workflowBundlePath,
      payloadKeys: stack.payloadKeys,
      sandboxUrl: stack.sandbox.url,
      policyFile: DEFAULT_POLICY,
    });
    teardown.add(`stop memory worker ${rep}`, () => proc.stop());
    try {
      const coldIdle = await proc.measure();

      const warm = caseInputs(`mem${rep}-warm`, WARM_UP_CASES, { policyId: 'default' });
      await mapPool(warm, config.concurrency, async (input) => {
        await cases.open(input);
        await cases.signal(input.loanId, 'disputeRaised', { reason: 'bench warm-up' });
        await cases.signal(input.loanId, 'disputeResolved', { upheld: true, note: 'bench warm-up' });
        const result = (await withTimeout(stack.client.workflow.getHandle(caseWorkflowId(input.loanId)).result(), 60_000, 'warm-up case')) as CaseResult;
        if (result.outcome !== 'cancelled') throw new Error(`memory warm-up: expected cancelled, got ${result.outcome}`);
      });
      const idle = await proc.measure();

      const inputs = caseInputs(`mem${rep}`, config.n, { policyId: 'default' });
      await mapPool(inputs, config.concurrency, (input) => cases.open(input));
      await mapPool(inputs, config.concurrency, (input) =>
        pollUntil(
          async () => {
            const status = await stack.client.workflow.getHandle(caseWorkflowId(input.loanId)).query(statusQuery);
            const parked = status.state === 'active' && status.nextActionAt !== undefined && Date.parse(status.nextActionAt) > Date.now();
            return parked ? status : undefined;
          },
          { timeoutMs: 90_000, intervalMs: 100, backoff: 1.5, maxIntervalMs: 1_000, what: `case ${input.loanId} waiting on its timer` },
        ),
      );
      await sleep(300); // let the last workflow task completions leave the worker
      const loaded = await proc.measure();

      const sample: MemorySample = {
        rep,
        coldIdle,
        idle,
        loaded,
        rssPerCaseBytes: (loaded.rss - idle.rss) / config.n,
        heapPerCaseBytes: (loaded.heapUsed - idle.heapUsed) / config.n,
        rssRatio: loaded.rss / idle.rss,
        heapRatio: loaded.heapUsed / idle.heapUsed,
      };
      samples.push(sample);
      const mib = (b: number) => (b / 2 ** 20).toFixed(1);
      log(
        `memory rep ${rep}: RSS cold ${mib(coldIdle.rss)} MiB, idle ${mib(idle.rss)} MiB, ${config.n} open ${mib(loaded.rss)} MiB` +
          ` (${(sample.rssPerCaseBytes / 1024).toFixed(1)} KiB/case); heap idle ${mib(idle.heapUsed)} MiB, open ${mib(loaded.heapUsed)} MiB (${(sample.heapPerCaseBytes / 1024).toFixed(1)} KiB/case)`,
      );
    } finally {
      await proc.stop();
    }
  }
  return {
    cases: config.n,
    samples,
    idleRssBytes: median(samples.map((s) => s.idle.rss)),
    idleHeapBytes: median(samples.map((s) => s.idle.heapUsed)),
    loadedRssBytes: median(samples.map((s) => s.loaded.rss)),
    loadedHeapBytes: median(samples.map((s) => s.loaded.heapUsed)),
    rssPerCaseBytes: median(samples.map((s) => s.rssPerCaseBytes)),
    heapPerCaseBytes: median(samples.map((s) => s.heapPerCaseBytes)),
    rssRatio: median(samples.map((s) => s.rssRatio)),
    heapRatio: median(samples.map((s) => s.heapRatio)),
    gcForced: samples.every((s) => s.idle.gcForced && s.loaded.gcForced),
  };
}
