import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, optionalTsToDate, type Payload } from '@temporalio/common';
import { z } from 'zod';
import { loanIdFromWorkflowId } from '../shared/ids';
import { CaseState, DebtorType, Outcome, Stage } from '../shared/schemas';
import * as keys from '../shared/search-attributes';
import { CaseError } from './case-service';
import { CASE_RUNS_SCOPE } from './visibility-query';

/**
 * A page of collection cases from Temporal visibility, read from the search attributes
 * each case upserts (spec section 3). Shared by the HTTP API and the CLI.
 *
 * The visibility query is built from validated enums only and always restricted to
 * `WorkflowType = 'collectionCase'`, one row per case (runs that continued as new are left out). `query` is an extra visibility clause from a
 * trusted caller (the CLI, a report); the HTTP list endpoint does not take one.
 */

export const WorkflowStatusName = z.enum([
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
  'PAUSED',
  'UNKNOWN',
]);
export type WorkflowStatusName = z.infer<typeof WorkflowStatusName>;

/** temporal.api.enums.v1.WorkflowExecutionStatus numbers, named as the SDK names them. */
const STATUS_NAMES: Record<number, WorkflowStatusName> = {
  0: 'UNSPECIFIED',
  1: 'RUNNING',
  2: 'COMPLETED',
  3: 'FAILED',
  4: 'CANCELLED',
  5: 'TERMINATED',
  6: 'CONTINUED_AS_NEW',
  7: 'TIMED_OUT',
  8: 'PAUSED',
};

export const CaseSummary = z.object({
  loanId: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  status: WorkflowStatusName.meta({ description: 'The workflow execution status: RUNNING while the case is open' }),
  stage: Stage.optional(),
  state: CaseState.optional(),
  outstandingMinor: z.number().int().optional(),
  recoveredMinor: z.number().int().optional(),
  costMinor: z.number().int().optional(),
  segment: z.string().optional(),
  strategy: z.string().optional(),
  outcome: Outcome.optional(),
  debtorType: DebtorType.optional(),
  startTime: z.string().meta({ format: 'date-time' }),
  closeTime: z.string().meta({ format: 'date-time' }).optional(),
});
export type CaseSummary = z.infer<typeof CaseSummary>;

export const CasePage = z.object({
  cases: z.array(CaseSummary),
  nextPageToken: z.string().optional().meta({ description: 'Pass as pageToken to get the next page; absent on the last page' }),
});
export type CasePage = z.infer<typeof CasePage>;

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export const PageToken = z.string().min(1).max(4096).regex(/^[A-Za-z0-9_-]+$/, 'a page token returned by a previous page');
export const PageSize = z.number().int().min(1).max(MAX_PAGE_SIZE);

export interface ListCasesOptions {
  stage?: string;
  state?: string;
  /** An extra visibility clause from a trusted caller, ANDed with the rest. */
  query?: string;
  pageSize?: number;
  pageToken?: string;
}

function validated<S extends z.ZodType>(schema: S, value: unknown, name: string): z.infer<S> | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CaseError('invalid_request', `${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** The visibility query for the given filters; values come from the validated enums only. */
export function caseListQuery(options: Pick<ListCasesOptions, 'stage' | 'state' | 'query'> = {}): string {
  const stage = validated(Stage, options.stage, 'stage');
  const state = validated(CaseState, options.state, 'state');
  const clauses = [CASE_RUNS_SCOPE];
  if (stage) clauses.push(`${keys.CollectionStageKey.name} = '${stage}'`);
  if (state) clauses.push(`${keys.CollectionStateKey.name} = '${state}'`);
  if (options.query !== undefined && options.query.trim() !== '') clauses.push(`(${options.query})`);
  return clauses.join(' AND ');
}

function decodeAttribute(payload: Payload | undefined): unknown {
  if (!payload) return undefined;
  try {
    const value: unknown = defaultPayloadConverter.fromPayload(payload);
    // Older servers and keyword lists come back as arrays.
    return Array.isArray(value) ? value[0] : value;
  } catch {
    return undefined;
  }
}

function pick<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

const Int = z.number().int();

type RawExecution = {
  execution?: { workflowId?: string | null; runId?: string | null } | null;
  status?: number | null;
  startTime?: Parameters<typeof optionalTsToDate>[0];
  closeTime?: Parameters<typeof optionalTsToDate>[0];
  searchAttributes?: { indexedFields?: Record<string, Payload> | null } | null;
};

export function caseSummaryFromExecution(raw: RawExecution): CaseSummary {
  const fields = raw.searchAttributes?.indexedFields ?? {};
  const attr = (name: string) => decodeAttribute(fields[name]);
  const workflowId = raw.execution?.workflowId ?? '';
  const loanId = pick(z.string().min(1), attr(keys.LoanIdKey.name)) ?? loanIdFromWorkflowId(workflowId) ?? workflowId;
  const summary: CaseSummary = {
    loanId,
    workflowId,
    runId: raw.execution?.runId ?? '',
    status: STATUS_NAMES[raw.status ?? 0] ?? 'UNKNOWN',
    stage: pick(Stage, attr(keys.CollectionStageKey.name)),
    state: pick(CaseState, attr(keys.CollectionStateKey.name)),
    outstandingMinor: pick(Int, attr(keys.OutstandingMinorKey.name)),
    recoveredMinor: pick(Int, attr(keys.RecoveredMinorKey.name)),
    costMinor: pick(Int, attr(keys.CostMinorKey.name)),
    segment: pick(z.string(), attr(keys.SegmentKey.name)),
    strategy: pick(z.string(), attr(keys.StrategyKey.name)),
    outcome: pick(Outcome, attr(keys.OutcomeKey.name)),
    debtorType: pick(DebtorType, attr(keys.DebtorTypeKey.name)),
    startTime: (optionalTsToDate(raw.startTime) ?? new Date(0)).toISOString(),
    closeTime: optionalTsToDate(raw.closeTime)?.toISOString(),
  };
  // No undefined-valued keys: JSON output and equality checks stay clean.
  return Object.fromEntries(Object.entries(summary).filter(([, v]) => v !== undefined)) as CaseSummary;
}

const GRPC_INVALID_ARGUMENT = 3;
const LIST_DEADLINE_MS = 15_000;
const TOKEN_VERSION = 1;
const CHECK_BYTES = 8;

function tokenCheck(query: string, serverToken: Uint8Array): Buffer {
  return createHash('sha256').update(query).update('\0').update(serverToken).digest().subarray(0, CHECK_BYTES);
}

/**
 * Page tokens are base64url of [version, 8-byte check, Temporal's nextPageToken]. The check
 * binds the token to the query it came from, so a corrupt token, or one from other
 * filters, is refused with 400 here instead of going to Temporal (which may retry an
 * unparseable token for many seconds before failing).
 */
export function encodePageToken(query: string, serverToken: Uint8Array): string {
  return Buffer.concat([Buffer.from([TOKEN_VERSION]), tokenCheck(query, serverToken), serverToken]).toString('base64url');
}

export function decodePageToken(query: string, token: string): Uint8Array {
  const bytes = Buffer.from(token, 'base64url');
  const serverToken = bytes.subarray(1 + CHECK_BYTES);
  if (bytes.length <= 1 + CHECK_BYTES || bytes[0] !== TOKEN_VERSION || !tokenCheck(query, serverToken).equals(bytes.subarray(1, 1 + CHECK_BYTES))) {
    throw new CaseError('invalid_request', 'pageToken: not a page token of this list (use the nextPageToken of the previous page, with the same filters)');
  }
  return serverToken;
}

export async function listCases(client: Client, options: ListCasesOptions = {}): Promise<CasePage> {
  const query = caseListQuery(options);
  const pageSize = validated(PageSize, options.pageSize, 'pageSize') ?? DEFAULT_PAGE_SIZE;
  const pageToken = validated(PageToken, options.pageToken, 'pageToken');
  const nextPageToken = pageToken ? decodePageToken(query, pageToken) : undefined;
  let response;
  try {
    response = await client.connection.withDeadline(Date.now() + LIST_DEADLINE_MS, () =>
      client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query, pageSize, nextPageToken }),
    );
  } catch (error) {
    if ((error as { code?: unknown }).code === GRPC_INVALID_ARGUMENT) {
      const message = (error as { details?: unknown }).details;
      throw new CaseError('invalid_request', `visibility rejected the query: ${typeof message === 'string' ? message : 'invalid argument'}`);
    }
    throw error;
  }
  const token = response.nextPageToken && response.nextPageToken.length > 0 ? encodePageToken(query, response.nextPageToken) : undefined;
  const cases = (response.executions ?? []).map((execution) => caseSummaryFromExecution(execution));
  return token ? { cases, nextPageToken: token } : { cases };
}
