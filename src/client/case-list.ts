import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { z } from 'zod';
import type { CaseArchive } from '../archive/case-archive';
import { CaseState, DebtorType, Outcome, Stage } from '../shared/schemas';
import { CaseError } from './case-service';
import { parseCaseFilter, sqlFilter, visibilityFilter } from './case-filter';
import { caseRowFromArchive, caseRowFromExecution, type CaseRow } from './reports';
import { CASE_RUNS_SCOPE } from './visibility-query';

/**
 * A page of collection cases, newest first: from the case archive when there is one (and no
 * raw visibility clause is given), otherwise from Temporal visibility, read from the search
 * attributes each case upserts (spec section 3). Both go through the one case row mapper
 * of ./reports.ts and the one filter of ./case-filter.ts. Shared by the HTTP API and the CLI.
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
  const filter = visibilityFilter(parseCaseFilter({ stage: options.stage, state: options.state }));
  const clauses = [CASE_RUNS_SCOPE];
  if (filter) clauses.push(filter);
  if (options.query !== undefined && options.query.trim() !== '') clauses.push(`(${options.query})`);
  return clauses.join(' AND ');
}

/** A case row as the list shows it. */
export function caseSummaryFromRow(row: CaseRow): CaseSummary {
  const status = WorkflowStatusName.safeParse(row.status);
  const summary = {
    loanId: row.loanId,
    workflowId: row.workflowId,
    runId: row.runId,
    status: status.success ? status.data : 'UNKNOWN',
    stage: row.stage,
    state: row.state,
    outstandingMinor: row.outstandingMinor,
    recoveredMinor: row.recoveredMinor,
    costMinor: row.costMinor,
    segment: row.segment,
    strategy: row.strategy,
    outcome: row.outcome,
    debtorType: row.debtorType,
    startTime: row.startTime,
    closeTime: row.closeTime,
  };
  // Only valid values, and no undefined-valued keys: JSON output and equality checks stay clean.
  const parsed = CaseSummary.partial().parse(summary);
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined)) as CaseSummary;
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

export async function listCases(client: Client, options: ListCasesOptions = {}, archive?: Pick<CaseArchive, 'listCases'>): Promise<CasePage> {
  if (archive && !options.query?.trim()) return listArchivedCases(archive, options);
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
  const infos = await Promise.all((response.executions ?? []).map((raw) => executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, client.options.namespace)));
  const cases = infos.map((info) => caseSummaryFromRow(caseRowFromExecution(info)));
  return token ? { cases, nextPageToken: token } : { cases };
}

/** The archive's page: keyset paging on (openedAt, caseKey), the position bound to the filters by the token's check. */
async function listArchivedCases(archive: Pick<CaseArchive, 'listCases'>, options: ListCasesOptions): Promise<CasePage> {
  const filter = parseCaseFilter({ stage: options.stage, state: options.state });
  const scope = `archive:${JSON.stringify(filter)}`;
  const pageSize = validated(PageSize, options.pageSize, 'pageSize') ?? DEFAULT_PAGE_SIZE;
  const pageToken = validated(PageToken, options.pageToken, 'pageToken');
  let after: { openedAt: string; caseKey: string } | undefined;
  if (pageToken) {
    const position = z.tuple([z.iso.datetime({ offset: true }), z.string().min(1)]).safeParse(safeJson(Buffer.from(decodePageToken(scope, pageToken)).toString('utf8')));
    if (!position.success) throw new CaseError('invalid_request', 'pageToken: not a page token of this list');
    after = { openedAt: position.data[0], caseKey: position.data[1] };
  }
  const found = await archive.listCases(sqlFilter(filter), pageSize + 1, after);
  const page = found.slice(0, pageSize);
  const cases = page.map((c) => caseSummaryFromRow(caseRowFromArchive(c)));
  const last = page[page.length - 1];
  if (found.length <= pageSize || !last) return { cases };
  return { cases, nextPageToken: encodePageToken(scope, Buffer.from(JSON.stringify([last.openedAt, last.caseKey]))) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
