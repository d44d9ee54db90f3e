import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { CaseService } from '../client/case-service';
import type { ApiEnv } from '../config';
import type { ApiMetrics } from './metrics';

/**
 * What the API is built from. Everything outside (Temporal, configuration, logging) comes
 * in here, so tests build the same app against a test server on port 0.
 */

/** `buildReport` of src/client/reports.ts. */
export type BuildReport = (client: Client, options?: { query?: string }) => Promise<unknown>;

export type BulkSignalName = 'pause' | 'resume';
/** `bulkSignal` of src/client/bulk.ts. */
export type BulkSignal = (
  client: Client,
  options: { query: string; signal: BulkSignalName; payload: unknown; dryRun: boolean; actor: string; reason: string },
) => Promise<{ matched: number; jobId?: string; dryRun: boolean }>;

export interface ApiDeps {
  cases: CaseService;
  client: Client;
  env: ApiEnv;
  logger: Logger;
  /** The reporting module; without it GET /v1/reports/summary answers 501. */
  reports?: BuildReport;
  /** The bulk-operations module; without it POST /v1/bulk/* answers 501. */
  bulk?: BulkSignal;
  /** Default: a fresh registry per app. */
  metrics?: ApiMetrics;
  /** Seconds since the epoch, for signature expiry; default the system clock. */
  nowSeconds?: () => number;
}

export interface ApiContext extends Omit<ApiDeps, 'metrics' | 'nowSeconds'> {
  metrics: ApiMetrics;
  nowSeconds: () => number;
}
