import { z } from 'zod';
import type { SqlFilter } from '../archive/case-archive';
import * as schemas from '../shared/schemas';
import * as keys from '../shared/search-attributes';
import { CaseError } from './case-service';

/**
 * The one filter over cases that the API, the CLI and the reports share. It compiles to a
 * Temporal visibility clause or to SQL over the archive. Values are checked against the
 * enums (or a strict pattern) first, so the visibility text needs no escaping and the SQL
 * takes them as parameters.
 */
export const CaseFilter = z.object({
  stage: schemas.Stage.optional(),
  state: schemas.CaseState.optional(),
  segment: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . -').optional(),
  strategy: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . -').optional(),
  outcome: schemas.Outcome.optional(),
  /** Not searchable in visibility (it is in the memo): applied to the rows there. */
  currency: schemas.Currency.optional(),
  /** Open cases only. */
  open: z.boolean().optional(),
});
export type CaseFilter = z.infer<typeof CaseFilter>;

/** Validates a filter from a caller, with a message naming the field and the allowed values. */
export function parseCaseFilter(raw: Record<string, unknown>): CaseFilter {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const parsed = CaseFilter.safeParse(defined);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? 'filter');
  const allowed = field === 'stage' ? schemas.Stage.options : field === 'state' ? schemas.CaseState.options : field === 'outcome' ? schemas.Outcome.options : undefined;
  const message = allowed ? `unknown ${field} "${String(defined[field])}": expected one of ${allowed.join(', ')}` : `${field}: ${issue.message}`;
  throw new CaseError('invalid_request', message);
}

const VISIBILITY: Array<[keyof CaseFilter, string]> = [
  ['stage', keys.CollectionStageKey.name],
  ['state', keys.CollectionStateKey.name],
  ['segment', keys.SegmentKey.name],
  ['strategy', keys.StrategyKey.name],
  ['outcome', keys.OutcomeKey.name],
];

/** The visibility clause (without the case scope), or undefined when nothing is filtered. `currency` is left to the caller. */
export function visibilityFilter(filter: CaseFilter): string | undefined {
  const parts = VISIBILITY.filter(([field]) => filter[field] !== undefined).map(([field, attribute]) => `${attribute} = '${String(filter[field])}'`);
  if (filter.open) parts.push("ExecutionStatus = 'Running'");
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

const COLUMNS: Array<[keyof CaseFilter, string]> = [
  ['stage', 'stage'],
  ['state', 'state'],
  ['segment', 'segment'],
  ['strategy', 'strategy'],
  ['outcome', 'outcome'],
  ['currency', 'currency'],
];

/** The same filter as a WHERE clause over the archive's `archive_cases`. */
export function sqlFilter(filter: CaseFilter): SqlFilter {
  const params: unknown[] = [];
  const parts: string[] = [];
  for (const [field, column] of COLUMNS) {
    if (filter[field] === undefined) continue;
    params.push(filter[field]);
    parts.push(`${column} = $${params.length}`);
  }
  if (filter.open) parts.push("execution_status = 'RUNNING'");
  return { clause: parts.length > 0 ? parts.join(' AND ') : 'TRUE', params };
}
