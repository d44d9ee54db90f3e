/**
 * `npm run bench`: throughput, latency and memory of the orchestrator, each reported as a
 * ratio against a baseline measured in the same run (see bench/README.md).
 *
 * Boot order: settings checked, SDK runtime logger installed (WARN), then the stack
 * (Temporal dev server, workflow bundle, provider sandbox, worker), then the benchmarks.
 * All traffic stays on 127.0.0.1. Exit codes: 0 done, 1 a benchmark or the setup failed,
 * 2 the Temporal CLI must be built first, 130 interrupted.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchArchive } from './archive';
import { benchCalendar } from './calendar';
import { loadConfig, PARTIAL_RESULTS_FILE, REPO_ROOT, RESULTS_FILE, SCALE_RESULTS_FILE } from './config';
import { benchCsvImport, benchIntake } from './intake';
import { benchLifecycle, type LifecycleResult } from './lifecycle';
import { log } from './log';
import { benchMemory } from './memory';
import { figures, gitInfo, hostInfo, renderTable, writeJson, type BenchReport } from './report';
import { runScale } from './scale';
import { createTeardown, requireBuiltTemporalCli, SetupError, startStack } from './stack';
import { benchWebhook, type WebhookResult } from './webhook';
import { BenchWorkerProcess } from './worker-handle';

/** `--scale N`: the scale run alone (bench/scale.ts), results in bench/results/scale.json. */
/** Exit code and message for a run that threw: 2 when the set-up was wrong (said plainly), else 1 with the stack. */
function failed(what: string, error: unknown): number {
  if (error instanceof SetupError) {
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  process.stderr.write(`${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

function scaleArgument(argv: readonly string[]): number | undefined {
  const index = argv.indexOf('--scale');
  if (index < 0) return undefined;
  const n = Number(argv[index + 1]);
  if (!Number.isInteger(n) || n < 100 || n > 1_000_000) throw new Error(`--scale ${argv[index + 1] ?? ''}: expected a number of cases from 100 to 1000000`);
  return n;
}

async function scaleMain(n: number): Promise<number> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const teardown = createTeardown();
  process.once('SIGINT', () => void teardown.run().finally(() => process.exit(130)));
  try {
    const cliPath = await requireBuiltTemporalCli();
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'collections-scale-'));
    teardown.add('remove the scale work directory', () => fs.rm(workDir, { recursive: true, force: true }));
    const loadBefore = os.loadavg();
    const started = Date.now();
    const result = await runScale(n, cliPath, workDir, teardown);
    const report = { startedAt: new Date(started).toISOString(), runSeconds: (Date.now() - started) / 1000, host: hostInfo(), load: { before: loadBefore, after: os.loadavg() }, git: gitInfo(), result };
    await teardown.run();
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    process.stdout.write(
      [
        `Scale run: ${n} cases, one dev server (SQLite file), one worker (cache ${result.maxCachedWorkflows} workflows)`,
        `  intake (CaseService.open, ${result.concurrency} in flight, no worker): ${result.intakePerSec.toFixed(0)} cases/s (${result.intakeSeconds.toFixed(0)} s)`,
        `  worker start -> every case past its first step: ${result.firstStepSeconds.toFixed(0)} s (${result.firstStepPerSec.toFixed(0)} cases/s)`,
        `  worker RSS: ${mib(result.workerRssAtMilestoneBytes)} at ${result.rssMilestoneCases} cases, ${mib(result.workerRssAtEndBytes)} at ${n} (${result.rssGrowth.toFixed(2)}x)`,
        `  server database: ${mib(result.dbBytes)}, ${(result.dbBytesPerCase / 1024).toFixed(1)} KiB per case`,
        `  load average ${report.load.before[0]!.toFixed(1)} before, ${report.load.after[0]!.toFixed(1)} after, on ${report.host.cpus} CPU(s)`,
      ].join('\n') + '\n',
    );
    await fs.mkdir(path.dirname(SCALE_RESULTS_FILE), { recursive: true });
    await fs.writeFile(SCALE_RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } catch (error) {
    await teardown.run();
    return failed('scale run failed', error);
  }
}

async function main(): Promise<number> {
  const scale = scaleArgument(process.argv.slice(2));
  if (scale !== undefined) return scaleMain(scale);
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const git = gitInfo(); // the code that is about to be bundled and measured
  const t0 = Date.now();
  const teardown = createTeardown();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: tearing down`);
    void teardown.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => {
    log(`the run passed its ${config.runTimeoutMs / 60_000} min budget: aborting`);
    void teardown.run().finally(() => process.exit(1));
  }, config.runTimeoutMs);
  watchdog.unref();

  try {
    log(`N=${config.n}, ${config.repeats} reps, ${config.concurrency} in flight`);
    const phaseSeconds: Record<string, number> = {};
    const phase = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
      log(name);
      const start = Date.now();
      const result = await fn();
      phaseSeconds[name] = (Date.now() - start) / 1000;
      return result;
    };
    // Before anything is measured: stop early (exit 2) when the CLI would have to be built.
    const cliPath = await requireBuiltTemporalCli();
    const only = config.only;
    const wanted = (name: string) => only === undefined || only.includes(name);
    // Pure CPU first, while nothing else of ours runs on the machine.
    const calendar = wanted('calendar') ? await phase('compliance calendar', () => benchCalendar(config)) : undefined;
    const stack = await phase('stack (dev server, bundles)', () => startStack(teardown, cliPath));
    const intake = wanted('intake') ? await phase('case intake', () => benchIntake(stack, config)) : undefined;
    const csv = wanted('csv') ? await phase('CSV import through the CLI', () => benchCsvImport(stack, config, intake)) : undefined;
    let lifecycle: LifecycleResult | undefined;
    let webhook: WebhookResult | undefined;
    if (wanted('lifecycle') || wanted('webhook')) {
      const taskQueue = `bench-lifecycle-${randomUUID()}`;
      const worker = await phase('lifecycle worker', () =>
        BenchWorkerProcess.start({ address: stack.address, namespace: stack.namespace, taskQueue, workflowBundlePath: stack.bundles.bench, policyFile: stack.benchPolicyFile, payloadKeys: stack.payloadKeys, reportSends: true }),
      );
      teardown.add('stop the lifecycle worker', () => worker.stop());
      if (wanted('lifecycle')) lifecycle = await phase('lifecycle: case vs shape twin vs trivial', () => benchLifecycle(stack.client, stack.policies, worker, taskQueue, config));
      if (wanted('webhook')) webhook = await phase('payment webhook', () => benchWebhook(stack, taskQueue, config));
    }
    const memory = wanted('memory') ? await phase('worker memory', () => benchMemory(stack, config, teardown)) : undefined;

    // The archive's own benchmark (branch archive): its report against the visibility-paged one.
    const archive = wanted('archive') ? await phase('archive report (100,000 cases)', () => benchArchive(stack, config, teardown)) : undefined;

    const details = { intake, csv, lifecycle, webhook, memory, calendar, archive };
    const report: BenchReport = {
      schema: 2,
      startedAt: startedAt.toISOString(),
      runSeconds: 0,
      host: hostInfo(),
      git,
      config,
      setup: { temporalCli: path.basename(stack.cliPath), ...stack.timings },
      load: { before: loadBefore, after: os.loadavg() },
      phaseSeconds,
      figures: figures(config, details),
      details,
    };
    const teardownStart = Date.now();
    const errors = await teardown.run();
    phaseSeconds['teardown'] = (Date.now() - teardownStart) / 1000;
    if (errors.length > 0) throw new Error(`teardown failed (${errors.length} step(s)); see above`);
    report.runSeconds = (Date.now() - t0) / 1000;
    process.stdout.write(`${renderTable(report)}\n`);
    const resultsFile = only === undefined ? RESULTS_FILE : PARTIAL_RESULTS_FILE;
    await writeJson(resultsFile, report);
    log(`wrote ${path.relative(REPO_ROOT, resultsFile)}`);
    return 0;
  } catch (error) {
    await teardown.run();
    return failed('bench failed', error);
  } finally {
    clearTimeout(watchdog);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
