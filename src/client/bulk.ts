import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import * as schemas from '../shared/schemas';
import { toVisibilityQuery, type CaseFilterExpr } from './visibility-filter';
import { CaseError, validate } from './case-service';
import { invalidQueryMessage, isInvalidQueryError, OPEN_CASE_SCOPE } from './visibility-query';

/**
 * Bulk operations and moratoria: one signal to every open case matching a case filter
 * (./visibility-filter.ts: the API's structured filter or the CLI's parsed --query; never raw
 * query text), as a Temporal batch operation (server-side, rate-limited, resumable; visible with
 * `temporal batch list`). The payload carries the actor and the reason, so each case's
 * timeline records who did it and why.
 */

export type BulkSignalName = 'pause' | 'resume';

export interface BulkSignalOptions {
  /** Which cases; always AND-ed with `WorkflowType = 'collectionCase' AND ExecutionStatus = 'Running'`. */
  filter: CaseFilterExpr;
  signal: BulkSignalName;
  /** Signal payload (schemas.Pause / schemas.Resume); `actor` and `reason` are filled in from below. */
  payload: unknown;
  /** Only count the matching cases. */
  dryRun: boolean;
  /** Who asks: the authenticated operator (API) or the CLI's operator (recorded on each case and as the batch identity). */
  actor: string;
  /** Why (recorded on each case and as the batch reason). */
  reason: string;
  /** How long to wait for the batch to finish. Default 10 minutes. */
  timeoutMs?: number;
  /** Called while the batch runs. */
  onProgress?: (progress: { total: number; completed: number; failed: number }) => void;
}

export interface BulkSignalResult {
  /** Open cases matching the query when the operation started (or was counted, for a dry run). */
  matched: number;
  jobId?: string;
  dryRun: boolean;
  /** Cases signalled, and cases the batch could not signal (e.g. closed meanwhile). */
  succeeded?: number;
  failed?: number;
}

const PAYLOAD_SCHEMAS = { pause: schemas.Pause, resume: schemas.Resume } as const;
const STATE = temporal.api.enums.v1.BatchOperationState;

function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** ResourceExhausted "Max concurrent batch operations is reached": the namespace allows few at once (1 on a dev server). */
function isBatchLimit(error: unknown): boolean {
  const code = (error as { code?: unknown; cause?: { code?: unknown } }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  return code === 8 || (error instanceof Error && /max concurrent batch operations/i.test(error.message));
}

export async function bulkSignal(client: Client, options: BulkSignalOptions): Promise<BulkSignalResult> {
  if (!options.actor.trim()) throw new CaseError('invalid_request', 'an actor is required');
  if (!options.reason.trim()) throw new CaseError('invalid_request', 'a reason is required');
  const schema = PAYLOAD_SCHEMAS[options.signal];
  if (!schema) throw new CaseError('invalid_request', `unknown bulk signal "${String(options.signal)}": expected pause or resume`);
  const payload = validate(schema, { ...(options.payload as object | undefined), actor: options.actor, reason: options.reason });
  const visibilityQuery = `${OPEN_CASE_SCOPE} AND (${toVisibilityQuery(options.filter)})`;

  let matched: number;
  try {
    matched = (await client.workflow.count(visibilityQuery)).count;
  } catch (error) {
    if (isInvalidQueryError(error)) throw new CaseError('invalid_request', invalidQueryMessage(error));
    throw error;
  }
  if (options.dryRun || matched === 0) return { matched, dryRun: options.dryRun };

  const namespace = client.options.namespace;
  const jobId = `bulk-${options.signal}-${randomUUID()}`;
  const input = await encodeToPayloads(client.options.loadedDataConverter, payload);
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  const request = {
    namespace,
    jobId,
    reason: `${options.actor}: ${options.reason}`.slice(0, 1000),
    visibilityQuery,
    signalOperation: { signal: options.signal, input: { payloads: input ?? [] }, identity: options.actor },
  };
  for (let delay = 500; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      await client.workflowService.startBatchOperation(request);
      break;
    } catch (error) {
      if (!isBatchLimit(error) || Date.now() + delay > deadline) {
        if (isBatchLimit(error)) throw new Error('another batch operation is still running in this namespace; try again when it has finished (temporal batch list)');
        throw error;
      }
      await sleep(delay);
    }
  }

  for (let delay = 200; ; delay = Math.min(delay * 2, 2_000)) {
    const described = await client.workflowService.describeBatchOperation({ namespace, jobId });
    const progress = { total: toNumber(described.totalOperationCount), completed: toNumber(described.completeOperationCount), failed: toNumber(described.failureOperationCount) };
    options.onProgress?.(progress);
    if (described.state === STATE.BATCH_OPERATION_STATE_COMPLETED) {
      return { matched, jobId, dryRun: false, succeeded: progress.completed, failed: progress.failed };
    }
    if (described.state === STATE.BATCH_OPERATION_STATE_FAILED) {
      throw new Error(`batch operation ${jobId} failed after ${progress.completed} of ${progress.total} cases${described.reason ? `: ${described.reason}` : ''}`);
    }
    if (Date.now() > deadline) throw new Error(`batch operation ${jobId} is still running (${progress.completed} of ${progress.total} done); follow it with: temporal batch describe --job-id ${jobId}`);
    await sleep(delay);
  }
}
