import type { PayloadKeysFile } from '../src/payload-codec';

/** Messages between the bench and the worker process it forks (bench/worker-process.ts). */

export interface BenchWorkerConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  workflowBundlePath: string;
  policyFile: string;
  /** The bench's payload keys (src/payload-codec.ts), so this worker decodes the workflows the bench started. */
  payloadKeys: PayloadKeysFile;
  /** Workflows kept in the worker's cache; the SDK's default when absent. */
  maxCachedWorkflows?: number;
  /** Provider requests go to this sandbox; without it a no-op gateway answers at once. */
  sandboxUrl?: string;
  /**
   * Run workflows on the worker's main thread (the SDK's debugMode, same reusable V8 context)
   * so a forced GC reaches their heap too; the memory benchmark reads live heap this way.
   */
  debugMode?: boolean;
  /** Report every provider request's idempotency key to the bench (`sent` messages). */
  reportSends?: boolean;
}

export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** False when `global.gc` was missing, so the figures include garbage. */
  gcForced: boolean;
}

/** CPU time of the whole worker process (every thread: JS, workflow thread, the SDK core), in microseconds. */
export interface CpuSnapshot {
  userMicros: number;
  systemMicros: number;
  rss: number;
}

export type ToWorker = { type: 'measure'; id: number } | { type: 'cpu'; id: number } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'memory'; id: number; snapshot: MemorySnapshot }
  | { type: 'cpu'; id: number; snapshot: CpuSnapshot }
  | { type: 'sent'; keys: string[] }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

export const CONFIG_ENV = 'BENCH_WORKER_CONFIG';
