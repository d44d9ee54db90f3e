import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import type { CaseArchive } from '../archive/case-archive';
import type { bulkSignal } from '../client/bulk';
import type { CaseService } from '../client/case-service';
import type { buildReport } from '../client/reports';
import type { ApiEnv } from '../config';
import type { ApiMetrics } from './metrics';

/**
 * What the API is built from. Everything outside (Temporal, configuration, logging) comes
 * in here, so tests build the same app against a test server on port 0.
 */

/** `buildReport` of src/client/reports.ts. */
export type BuildReport = typeof buildReport;
/** `bulkSignal` of src/client/bulk.ts. */
export type BulkSignal = typeof bulkSignal;
export type { BulkSignalName } from '../client/bulk';

export interface ApiDeps {
  cases: CaseService;
  client: Client;
  env: ApiEnv;
  logger: Logger;
  /** The case archive (DATABASE_URL): the case list and reports read it; without it they read Temporal visibility. */
  archive?: CaseArchive;
  /** Reporting (src/client/reports.ts buildReport); without it GET /v1/reports/summary answers 501. */
  reports?: BuildReport;
  /** Bulk operations (src/client/bulk.ts bulkSignal); without it POST /v1/bulk/* answer 501. */
  bulk?: BulkSignal;
  /** The payload codecs /codec applies (the data converter's, src/data-converter.ts); default none. */
  payloadCodecs?: PayloadCodec[];
  /** Default: a fresh registry per app. */
  metrics?: ApiMetrics;
  /** Seconds since the epoch, for signature expiry; default the system clock. */
  nowSeconds?: () => number;
}

export interface ApiContext extends Omit<ApiDeps, 'metrics' | 'nowSeconds'> {
  metrics: ApiMetrics;
  nowSeconds: () => number;
}
