/**
 * The worker the bench measures, in a process of its own so its CPU and memory are not
 * mixed with the bench's client, sandbox and load generators. Forked by
 * bench/worker-handle.ts (`--expose-gc`); settings in BENCH_WORKER_CONFIG, talks over IPC.
 * It runs the bench bundle (collectionCase plus the bench-only baselines).
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createHttpProviderGateway } from '../src/activities/http-provider-gateway';
import { createDataConverter } from '../src/data-converter';
import { payloadKeysFrom } from '../src/payload-codec';
import { loadPolicies } from '../src/policy/load';
import { createBenchActivities, noopGateway } from './activities';
import { CONFIG_ENV, type BenchWorkerConfig, type FromWorker, type MemorySnapshot, type ToWorker } from './worker-protocol';

const send = (message: FromWorker): void => void process.send?.(message);

async function settledMemory(): Promise<MemorySnapshot> {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Several passes with a turn of the event loop between them, so weak/finalised objects go too.
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, gcForced: gc !== undefined };
}

/** Batches `sent` notices (one IPC message per 20 ms at most). */
function sendReporter(): (key: string) => void {
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  return (key) => {
    pending.push(key);
    timer ??= setTimeout(() => {
      send({ type: 'sent', keys: pending });
      pending = [];
      timer = undefined;
    }, 20);
  };
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('worker-process must be forked with an IPC channel (bench/worker-handle.ts does this)');
  const config = JSON.parse(process.env[CONFIG_ENV] ?? 'null') as BenchWorkerConfig | null;
  if (!config) throw new Error(`${CONFIG_ENV} is not set`);

  // ERROR only: the webhook benchmark's payments make cases log a warning per duplicate, which is not news here.
  Runtime.install({ logger: new DefaultLogger(process.env['BENCH_WORKER_LOG'] === 'WARN' ? 'WARN' : 'ERROR') });
  const url = config.sandboxUrl;
  const gateway = url
    ? createHttpProviderGateway({ sms: url, voice: url, letter: url, legal: url, agency: url }, { timeoutMs: 5_000 })
    : noopGateway(config.reportSends ? sendReporter() : undefined);
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    activities: createBenchActivities(gateway, loadPolicies([config.policyFile], { allowTestPolicies: true })),
    workflowBundle: { codePath: config.workflowBundlePath },
    dataConverter: createDataConverter(payloadKeysFrom(config.payloadKeys)),
    ...(config.debugMode ? { debugMode: true } : {}),
    ...(config.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
  });
  const running = worker.run();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    })());
  process.on('message', (message: ToWorker) => {
    if (message.type === 'measure') {
      settledMemory().then(
        (snapshot) => send({ type: 'memory', id: message.id, snapshot }),
        (error: unknown) => send({ type: 'error', message: String(error) }),
      );
    } else if (message.type === 'cpu') {
      const cpu = process.cpuUsage();
      send({ type: 'cpu', id: message.id, snapshot: { userMicros: cpu.user, systemMicros: cpu.system, rss: process.memoryUsage.rss() } });
    } else if (message.type === 'stop') {
      stop().then(
        () => {
          send({ type: 'stopped' });
          process.disconnect();
        },
        (error: unknown) => {
          send({ type: 'error', message: `stop: ${String(error)}` });
          process.exit(1);
        },
      );
    }
  });
  // The bench died or went away: do not outlive it.
  process.on('disconnect', () => {
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });

  while (worker.getState() !== 'RUNNING') {
    if (worker.getState() === 'FAILED' || worker.getState() === 'STOPPED') throw new Error(`worker ${worker.getState()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  send({ type: 'ready' });
  await running;
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  send({ type: 'error', message });
  process.stderr.write(`worker-process: ${message}\n`);
  process.exit(1);
});
