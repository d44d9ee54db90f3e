/**
 * The worker measured by benchmark 3, in a process of its own so its memory is not mixed
 * with the bench's client, sandbox and in-process worker. Forked by bench/memory.ts with
 * `--expose-gc`; takes its settings from BENCH_MEMORY_WORKER_CONFIG and talks over IPC.
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createHttpProviderGateway } from '../src/activities/http-provider-gateway';
import { createDataConverter } from '../src/data-converter';
import { createLogger } from '../src/logger';
import { payloadKeysFrom } from '../src/payload-codec';
import { loadPolicies } from '../src/policy/load';
import { createCollectionWorker } from '../src/worker';
import { CONFIG_ENV, type FromWorker, type MemorySnapshot, type MemoryWorkerConfig, type ToWorker } from './memory-protocol';

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

async function main(): Promise<void> {
  if (!process.send) throw new Error('memory-worker must be forked with an IPC channel (bench/memory.ts does this)');
  const config = JSON.parse(process.env[CONFIG_ENV] ?? 'null') as MemoryWorkerConfig | null;
  if (!config) throw new Error(`${CONFIG_ENV} is not set`);

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const url = config.sandboxUrl;
  const gateway = createHttpProviderGateway({ sms: url, voice: url, letter: url, legal: url, agency: url }, { timeoutMs: 5_000 });
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await createCollectionWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    deps: { gateway, policies: loadPolicies([config.policyFile]), logger: createLogger('bench', { level: 'silent' }) },
    workflowBundlePath: config.workflowBundlePath,
    dataConverter: createDataConverter(payloadKeysFrom(config.payloadKeys)),
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
  process.stderr.write(`memory-worker: ${message}\n`);
  process.exit(1);
});
