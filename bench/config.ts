import path from 'node:path';

/**
 * Bench settings, read once from the environment and checked, so a typo fails at boot
 * rather than halfway through a run.
 *
 *   BENCH_N            cases per measurement (default 100, 20..2000)
 *   BENCH_MEMORY_N     open workflows per memory reading (default 50, 20..2000)
 *   BENCH_REPEATS      repetitions of each measurement, median reported (default 3, 1..9)
 *   BENCH_CONCURRENCY  client calls in flight (default 16, 1..256)
 *   BENCH_CSV_ROWS     rows of the CLI import (default 2000, 100..100000; issue 13's 10,000-row import: bench/README.md)
 *   BENCH_ONLY         a comma-separated subset of the benchmarks (development)
 */
export interface BenchConfig {
  n: number;
  memoryN: number;
  repeats: number;
  concurrency: number;
  csvRows: number;
  /** Wall-clock budget of one calendar sample, in ms. */
  calendarSampleMs: number;
  /** BENCH_ONLY: a comma-separated subset of calendar,intake,csv,lifecycle,webhook,memory,archive (development). */
  only?: string[];
  /** The whole run is aborted (non-zero exit) past this. */
  runTimeoutMs: number;
}

export const REPO_ROOT = path.resolve(__dirname, '..');
export const FAST_POLICY = path.join(REPO_ROOT, 'policies/fast.yaml');
export const DEFAULT_POLICY = path.join(REPO_ROOT, 'policies/default.yaml');
export const BENCH_WORKFLOWS_ENTRY = path.join(REPO_ROOT, 'bench/workflows/index.ts');
export const BASELINES_ENTRY = path.join(REPO_ROOT, 'bench/workflows/baselines.ts');
export const RESULTS_FILE = path.join(REPO_ROOT, 'bench/results/latest.json');
/** Where a BENCH_ONLY run writes (git-ignored), so a partial run never replaces the full run's results. */
export const PARTIAL_RESULTS_FILE = path.join(REPO_ROOT, 'bench/results/partial.json');
export const SCALE_RESULTS_FILE = path.join(REPO_ROOT, 'bench/results/scale.json');

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}=${raw}: expected an integer from ${min} to ${max}`);
  }
  return value;
}

export function loadConfig(): BenchConfig {
  return {
    n: intFromEnv('BENCH_N', 100, 20, 2000),
    memoryN: intFromEnv('BENCH_MEMORY_N', 50, 20, 2000),
    repeats: intFromEnv('BENCH_REPEATS', 3, 1, 9),
    concurrency: intFromEnv('BENCH_CONCURRENCY', 16, 1, 256),
    csvRows: intFromEnv('BENCH_CSV_ROWS', 2_000, 100, 100_000),
    calendarSampleMs: 1_000,
    runTimeoutMs: 20 * 60_000,
    ...(process.env['BENCH_ONLY'] ? { only: process.env['BENCH_ONLY'].split(',').map((s) => s.trim()) } : {}),
  };
}
