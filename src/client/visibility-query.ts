import { WORKFLOW_TYPE } from '../shared/ids';
import { CaseError } from './case-service';
import { parseCaseFilter, visibilityFilter } from './case-filter';

/**
 * Visibility queries over collection cases (Temporal's SQL-like list filter). Every query
 * the CLI, reports and bulk operations send is scoped to the case workflow type, so a
 * caller's filter can never reach other workflows in the namespace.
 */

export const CASE_SCOPE = `WorkflowType = '${WORKFLOW_TYPE}'`;
export const OPEN_CASE_SCOPE = `${CASE_SCOPE} AND ExecutionStatus = 'Running'`;
/** One visibility row per case: a run that continued as new is the same case as its successor. */
export const CASE_RUNS_SCOPE = `${CASE_SCOPE} AND ExecutionStatus != 'ContinuedAsNew'`;

/**
 * Rejects a caller's filter that could escape the parentheses it is wrapped in
 * (`x) OR (WorkflowType != ''`): parentheses outside quoted strings must balance and
 * never close more than they opened, and quotes must be closed.
 */
export function assertWellFormedFilter(filter: string): void {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < filter.length; i += 1) {
    const ch = filter[i]!;
    if (quote) {
      if (ch === '\\') i += 1;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth += 1;
    else if (ch === ')') {
      depth -= 1;
      if (depth < 0) throw new CaseError('invalid_request', 'the query closes a parenthesis it did not open');
    }
  }
  if (quote) throw new CaseError('invalid_request', 'the query has an unclosed quoted string');
  if (depth !== 0) throw new CaseError('invalid_request', 'the query has an unclosed parenthesis');
}

/** `scope AND (filter)`, or the scope alone for an empty filter. */
export function scoped(scope: string, filter?: string): string {
  const trimmed = filter?.trim();
  if (!trimmed) return scope;
  assertWellFormedFilter(trimmed);
  return `${scope} AND (${trimmed})`;
}

/** The filter for `list --stage --state` (the shared case filter, src/client/case-filter.ts). */
export function stageStateFilter(options: { stage?: string; state?: string }): string | undefined {
  return visibilityFilter(parseCaseFilter({ stage: options.stage, state: options.state }));
}

/** Temporal reports a malformed query as INVALID_ARGUMENT (the SDK wraps the gRPC error in a ServiceError's `cause`). */
export function isInvalidQueryError(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return e?.code === 3 || e?.cause?.code === 3;
}

/** The server's own words for a refused query ("column name 'X' is not a valid search attribute"). */
export function invalidQueryMessage(error: unknown): string {
  const e = error as { details?: unknown; cause?: { details?: unknown } } | undefined;
  const details = e?.cause?.details ?? e?.details;
  return `invalid visibility query: ${typeof details === 'string' && details ? details.replace(/^invalid query: /, '') : 'the server could not parse it'}`;
}
