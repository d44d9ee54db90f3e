import type { PayloadKeysFile } from '../src/payload-codec';

/** Messages between bench/memory.ts and the worker it forks (bench/memory-worker.ts). */

export interface MemoryWorkerConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  workflowBundlePath: string;
  sandboxUrl: string;
  policyFile: string;
  /** The bench's payload keys (src/payload-codec.ts), so this worker decodes the cases the bench opened. */
  payloadKeys: PayloadKeysFile;
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

export type ToWorker = { type: 'measure'; id: number } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'memory'; id: number; snapshot: MemorySnapshot }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

export const CONFIG_ENV = 'BENCH_MEMORY_WORKER_CONFIG';
