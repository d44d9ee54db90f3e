/**
 * `npm run bench`: throughput, latency and memory of the orchestrator, each reported as a
 * ratio against a baseline measured in the same run (see bench/README.md).
 *
 * Boot order: settings checked, SDK runtime logger installed (WARN), then the stack
 * (Temporal dev server, workflow bundle, provider sandbox, worker), then the benchmarks.
 * All traffic stays on 127.0.0.1. Exit codes: 0 done, 1 a benchmark or the setup failed,
 * 2 the Temporal CLI must be built first, 130 interrupted.
 */
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchArchive } from './archive';
import { benchCalendar } from './calendar';
import { loadConfig, REPO_ROOT, RESULTS_FILE } from './config';
import { benchIntake } from './intake';
import { benchLifecycle } from './lifecycle';
import { log } from './log';
import { benchMemory } from './memory';
import { figures, gitInfo, hostInfo, renderTable, writeJson, type BenchReport } from './report';
import { createTeardown, requireBuiltTemporalCli, SetupError, startStack } from './stack';

async function main(): Promise<number> {
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const startedAt = new Date();
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
    if (process.env['BENCH_ONLY'] === 'archive') {
      // The archive report alone (a few minutes less, and nothing else to compete with on a busy machine).
      const stack = await phase('stack (dev server, bundle, sandbox, worker)', () => startStack(teardown, cliPath));
      const archive = await phase('archive report (100,000 cases)', () => benchArchive(stack, config, teardown));
      await teardown.run();
      process.stdout.write(`${JSON.stringify(archive, null, 2)}\n`);
      return 0;
    }
    // Pure CPU first, while nothing else of ours runs on the machine.
    const calendar = await phase('4/4 compliance calendar', () => benchCalendar(config));
    const stack = await phase('stack (dev server, bundle, sandbox, worker)', () => startStack(teardown, cliPath));
    const intake = await phase('1/4 case intake', () => benchIntake(stack, config));
    const lifecycle = await phase('2/4 lifecycle throughput', () => benchLifecycle(stack, config, intake));
    const memory = await phase('3/4 worker memory', () => benchMemory(stack, config, teardown));
    const archive = await phase('5/5 archive report (100,000 cases)', () => benchArchive(stack, config, teardown));

    const details = { intake, lifecycle, memory, calendar, archive };
    const report: BenchReport = {
      schema: 1,
      startedAt: startedAt.toISOString(),
      runSeconds: 0,
      host: hostInfo(),
      git,
      config,
      setup: { temporalCli: stack.cliPath, ...stack.timings },
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
    await writeJson(RESULTS_FILE, report);
    log(`wrote ${path.relative(REPO_ROOT, RESULTS_FILE)}`);
    return 0;
  } catch (error) {
    await teardown.run();
    if (error instanceof SetupError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
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
