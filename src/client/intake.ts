import { readFile } from 'node:fs/promises';
import type { CsvError } from 'csv-parse';
import { parse as parseCsv } from 'csv-parse/sync';
import type { z } from 'zod';
import { MoneyFormatError, isKnownCurrency, parseMajorUnits } from '../shared/money';
import * as schemas from '../shared/schemas';
import { DEFAULT_IMPORT_CONCURRENCY } from '../shared/intake';
import type { CaseService } from './case-service';
import { CaseError, IntakeError } from './errors';

/**
 * Batch intake (spec section 6): an overdue file in CSV becomes one collection case per
 * row. Rows that fail validation are reported with their line number and never stop the
 * rest; opening is idempotent (an already-open case counts as `alreadyOpen`).
 *
 * CSV: UTF-8 (a BOM is tolerated), header row, comma-separated, RFC 4180 quoting, CRLF or
 * LF line ends. Columns are matched by name (case-insensitively); unknown extra columns
 * are ignored; empty optional cells are absent values.
 */

export const REQUIRED_COLUMNS = [
  'loanId',
  'product',
  'reason',
  'debtorId',
  'debtorType',
  'debtorName',
  'timezone',
  'currency',
  'amountDue',
  'overdueSince',
] as const;
export const OPTIONAL_COLUMNS = ['phone', 'email', 'addressLine1', 'city', 'postalCode', 'country', 'guarantorNames', 'guarantorPhones'] as const;
export type IntakeColumn = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];
const ALL_COLUMNS: readonly IntakeColumn[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];

/** A row the intake could not use. `row` is the line number in the file (the header is line 1). */
export interface RejectedRow {
  row: number;
  loanId?: string;
  reason: string;
}

/** A row that passed validation. */
export interface ParsedRow {
  row: number;
  input: schemas.CaseInput;
}

export interface ParsedIntake {
  rows: ParsedRow[];
  rejected: RejectedRow[];
}

/** The summary printed by `collections import --json` (spec section 6). */
export interface ImportSummary {
  opened: number;
  alreadyOpen: number;
  rejected: RejectedRow[];
}

export interface ImportProgress {
  /** Rows handled so far (opened, already open or rejected), out of `total` data rows. */
  done: number;
  total: number;
  opened: number;
  alreadyOpen: number;
  rejected: number;
}

export interface ImportOptions {
  /** How many cases are opened at once. Default 8. */
  concurrency?: number;
  /** Policy for every case of the file (the CSV has no policy column); the worker's default when absent. */
  policyId?: string;
  /** Called after each row; the CLI draws its progress bar from it, the intake activity heartbeats. */
  onProgress?: (progress: ImportProgress) => void;
  /** Stops opening further rows; rows in flight finish. */
  signal?: AbortSignal;
}

export { IntakeError };

// ---- Parsing --------------------------------------------------------------------------

interface RawRecord {
  /** Line of the record's first character. */
  row: number;
  cells: string[];
}

const CR = 13;
const LF = 10;
const QUOTE = 34;

/**
 * Splits the text into records with the line each starts on: a record ends at a line break
 * outside quotes (RFC 4180: quoted cells may span lines). A quote left open at the end of
 * the file is a broken record: it is reported on its first line and reading resumes on the
 * next line, so one stray quote never swallows the rest of the file.
 */
function* splitRecords(text: string): Generator<{ row: number; lastRow: number; text: string } | { row: number; unclosedQuote: true }> {
  let pos = 0;
  let line = 1;
  const newlineLength = (at: number) => (text.charCodeAt(at) === CR && text.charCodeAt(at + 1) === LF ? 2 : 1);
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c === CR || c === LF) {
      pos += newlineLength(pos);
      line += 1;
      continue;
    }
    const start = pos;
    const startLine = line;
    let inQuotes = false;
    let end = -1;
    while (pos < text.length) {
      const ch = text.charCodeAt(pos);
      if (ch === QUOTE) {
        if (inQuotes && text.charCodeAt(pos + 1) === QUOTE) pos += 2;
        else {
          inQuotes = !inQuotes;
          pos += 1;
        }
      } else if (ch === CR || ch === LF) {
        if (!inQuotes) {
          end = pos;
          break;
        }
        pos += newlineLength(pos);
        line += 1;
      } else pos += 1;
    }
    if (inQuotes) {
      yield { row: startLine, unclosedQuote: true };
      // Resume on the line after the broken record's first line.
      let next = start;
      while (next < text.length && text.charCodeAt(next) !== CR && text.charCodeAt(next) !== LF) next += 1;
      pos = next;
      line = startLine;
      continue;
    }
    yield { row: startLine, lastRow: line, text: text.slice(start, end === -1 ? text.length : end) };
  }
}

/** Decodes strict UTF-8 (a BOM is dropped); anything else is refused with a hint. */
function decodeUtf8(buffer: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buffer);
  } catch {
    throw new IntakeError('file_unreadable', 'the file is not valid UTF-8; save it as UTF-8 (CSV UTF-8 in Excel; GBK/GB18030 exports are not accepted)');
  }
}

/** RFC 4180 parsing (csv-parse, record by record) into raw cells with line numbers; broken records become rejections. */
function parseRecords(buffer: Buffer): { records: RawRecord[]; broken: RejectedRow[] } {
  const records: RawRecord[] = [];
  const broken: RejectedRow[] = [];
  for (const piece of splitRecords(decodeUtf8(buffer))) {
    if ('unclosedQuote' in piece) {
      broken.push({ row: piece.row, reason: 'malformed CSV: a quote opened on this line is never closed' });
      continue;
    }
    try {
      const [cells] = parseCsv(piece.text, { relax_column_count: true }) as string[][];
      records.push({ row: piece.row, cells: cells ?? [] });
    } catch (error) {
      const span = piece.lastRow > piece.row ? ` (lines ${piece.row}-${piece.lastRow})` : '';
      const message = ((error as CsvError).message ?? String(error)).replace(/ at line \d+/, '').split(':')[0];
      broken.push({ row: piece.row, reason: `malformed CSV${span}: ${message}; quote a cell that contains quotes, commas or line breaks, and double its quotes` });
    }
  }
  return { records, broken };
}

type Header = Map<IntakeColumn, number>;

function readHeader(cells: string[]): { header: Header; width: number } {
  const header: Header = new Map();
  const byLowerName = new Map(ALL_COLUMNS.map((c) => [c.toLowerCase(), c]));
  cells.forEach((cell, index) => {
    const column = byLowerName.get(cell.trim().toLowerCase());
    if (!column) return; // unknown extra columns are ignored
    if (header.has(column)) throw new IntakeError('bad_header', `the header names column "${column}" twice`);
    header.set(column, index);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !header.has(c));
  if (missing.length > 0) throw new IntakeError('bad_header', `the header lacks required column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  return { header, width: cells.length };
}

/** Zod paths of CaseInput -> the CSV column a person must fix. */
function columnOf(path: PropertyKey[]): string {
  const [first, second, third] = path.map(String);
  if (first === 'amountDueMinor') return 'amountDue';
  if (first === 'debtor') {
    if (second === 'address') return { line1: 'addressLine1', city: 'city', postalCode: 'postalCode', country: 'country' }[third ?? ''] ?? 'addressLine1';
    return { id: 'debtorId', type: 'debtorType', name: 'debtorName' }[second ?? ''] ?? second ?? 'debtor';
  }
  if (first === 'guarantors') {
    if (second === undefined || third === undefined) return 'guarantorNames';
    return `${third === 'phone' ? 'guarantorPhones' : 'guarantorNames'} #${Number(second) + 1}`;
  }
  return first ?? '(row)';
}

/** Columns whose value may be echoed in a rejection reason (no personal data). */
const ECHOED: ReadonlySet<string> = new Set(['product', 'reason', 'debtorType', 'timezone', 'currency', 'amountDue', 'overdueSince', 'country']);

function describeIssues(error: z.ZodError, cell: (c: IntakeColumn) => string | undefined): string {
  return error.issues
    .map((issue) => {
      const column = columnOf(issue.path);
      const value = ECHOED.has(column) ? cell(column as IntakeColumn) : undefined;
      if (value === undefined && issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `${column}: required`;
      const message = issue.message === 'Invalid ISO date' ? 'expected a date as YYYY-MM-DD' : issue.message;
      return `${column}${value !== undefined ? ` "${value}"` : ''}: ${message}`;
    })
    .join('; ');
}

/** Splits a `;`-separated cell into trimmed values, keeping positions (an empty value stays ''). */
function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(';').map((v) => v.trim());
}

/**
 * Maps one CSV record to a validated CaseInput, or a reason naming the columns to fix.
 * Exported for unit tests.
 */
export function rowToCaseInput(
  cellsByColumn: Partial<Record<IntakeColumn, string>>,
  options: { policyId?: string } = {},
): { ok: true; input: schemas.CaseInput } | { ok: false; reason: string } {
  const cell = (c: IntakeColumn): string | undefined => {
    const value = cellsByColumn[c]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const problems: string[] = [];

  const currency = cell('currency');
  let amountDueMinor: number | undefined;
  const amountText = cell('amountDue');
  if (amountText === undefined) problems.push('amountDue: required');
  else if (currency !== undefined && /^[A-Z]{3}$/.test(currency) && isKnownCurrency(currency)) {
    try {
      amountDueMinor = parseMajorUnits(amountText, currency);
      if (amountDueMinor <= 0) problems.push(`amountDue "${amountText}": must be greater than 0`);
    } catch (error) {
      if (!(error instanceof MoneyFormatError)) throw error;
      problems.push(`amountDue: ${error.message}`);
    }
  }
  // With an unusable currency the amount cannot be checked; the currency issue is reported below.

  const line1 = cell('addressLine1');
  const city = cell('city');
  const postalCode = cell('postalCode');
  const country = cell('country');
  if (line1 === undefined && (city ?? postalCode ?? country) !== undefined) {
    problems.push('addressLine1: required when city, postalCode or country is given');
  }

  const names = splitList(cell('guarantorNames'));
  const phones = splitList(cell('guarantorPhones'));
  if (phones.length > names.length) {
    problems.push(`guarantorPhones: ${phones.length} values but guarantorNames has ${names.length}`);
  }
  if (names.some((n) => n === '')) problems.push('guarantorNames: an empty name between ";" separators');
  const guarantors = names.map((name, i) => {
    const phone = phones[i];
    return phone ? { name, phone } : { name };
  });

  const candidate = {
    loanId: cell('loanId'),
    product: cell('product'),
    reason: cell('reason'),
    debtor: {
      id: cell('debtorId'),
      type: cell('debtorType'),
      name: cell('debtorName'),
      phone: cell('phone'),
      email: cell('email'),
      address: line1 !== undefined ? { line1, city, postalCode, country } : undefined,
      timezone: cell('timezone'),
    },
    guarantors: guarantors.length > 0 ? guarantors : undefined,
    currency,
    // The amount was judged above (or cannot be without a valid currency, which zod reports):
    // a placeholder keeps zod from reporting it a second time.
    amountDueMinor: amountDueMinor !== undefined && amountDueMinor > 0 ? amountDueMinor : 1,
    overdueSince: cell('overdueSince'),
    policyId: options.policyId,
  };
  const parsed = schemas.CaseInput.safeParse(stripUndefined(candidate));
  if (!parsed.success) problems.push(describeIssues(parsed.error, cell));
  if (problems.length > 0 || !parsed.success) return { ok: false, reason: problems.join('; ') };
  return { ok: true, input: parsed.data };
}

/** Absent values are absent keys, so the case input has no `"phone": undefined` noise. */
function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripUndefined) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, stripUndefined(v)]),
    ) as T;
  }
  return value;
}

/**
 * Parses and validates a whole intake file without opening anything: the valid rows as
 * case inputs and the rejected ones with line numbers and reasons. A duplicate loanId
 * within the file is rejected (the first occurrence wins).
 */
export async function parseIntakeCsv(content: Buffer | string, options: { policyId?: string } = {}): Promise<ParsedIntake> {
  const buffer = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const { records, broken } = parseRecords(buffer);
  const [headerRecord, ...dataRecords] = records;
  if (!headerRecord) throw new IntakeError('bad_header', 'the file is empty: expected a header row');
  const { header, width } = readHeader(headerRecord.cells);

  const rows: ParsedRow[] = [];
  const rejected: RejectedRow[] = [...broken];
  const seen = new Map<string, number>();
  for (const record of dataRecords) {
    const cells: Partial<Record<IntakeColumn, string>> = {};
    for (const [column, index] of header) cells[column] = record.cells[index];
    const loanId = cells.loanId?.trim() || undefined;
    if (record.cells.length > width) {
      rejected.push({ row: record.row, loanId, reason: `the row has ${record.cells.length} cells but the header has ${width} (an unquoted comma?)` });
      continue;
    }
    const result = rowToCaseInput(cells, options);
    if (!result.ok) {
      rejected.push({ row: record.row, loanId, reason: result.reason });
      continue;
    }
    const first = seen.get(result.input.loanId);
    if (first !== undefined) {
      rejected.push({ row: record.row, loanId, reason: `duplicate loanId: already on line ${first}` });
      continue;
    }
    seen.set(result.input.loanId, record.row);
    rows.push({ row: record.row, input: result.input });
  }
  rejected.sort((a, b) => a.row - b.row);
  return { rows, rejected };
}

// ---- Opening cases ----------------------------------------------------------------------

/** Runs `task` over `items` with at most `limit` in flight; stops starting new ones once `stop()` says so. */
async function forEachBounded<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>, stop: () => boolean): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length && !stop()) {
      const item = items[next]!;
      next += 1;
      await task(item);
    }
  });
  await Promise.all(lanes);
}

/** Why the service refused a row (the reason names the code for the admission checks), or undefined for a failure that stops the import. */
function rowRefusal(error: unknown): string | undefined {
  if (!(error instanceof CaseError)) return undefined;
  if (error.code === 'invalid_request') return error.message;
  if (error.code === 'overdue_since_out_of_range' || error.code === 'policy_not_allowed') return `${error.code}: ${error.message}`;
  return undefined;
}

/**
 * Opens a case per valid row through CaseService.open with bounded concurrency. Invalid
 * rows (and rows the service refuses as invalid) are reported and skipped. Any other
 * failure (Temporal unreachable after the client's retries) stops the import: rows in
 * flight finish, and an IntakeError('aborted') carries what was done. Re-running is safe.
 */
export async function importRows(cases: CaseService, parsed: ParsedIntake, options: ImportOptions = {}): Promise<ImportSummary> {
  const concurrency = options.concurrency ?? DEFAULT_IMPORT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  const summary: ImportSummary = { opened: 0, alreadyOpen: 0, rejected: [...parsed.rejected] };
  const total = parsed.rows.length + parsed.rejected.length;
  const progress = (): void =>
    options.onProgress?.({ done: summary.opened + summary.alreadyOpen + summary.rejected.length, total, opened: summary.opened, alreadyOpen: summary.alreadyOpen, rejected: summary.rejected.length });
  progress();

  let fatal: unknown;
  await forEachBounded(
    parsed.rows,
    concurrency,
    async ({ row, input }) => {
      try {
        const { created } = await cases.open(input);
        if (created) summary.opened += 1;
        else summary.alreadyOpen += 1;
      } catch (error) {
        const refusal = rowRefusal(error);
        if (refusal !== undefined) summary.rejected.push({ row, loanId: input.loanId, reason: refusal });
        else fatal ??= error;
      }
      progress();
    },
    () => fatal !== undefined || options.signal?.aborted === true,
  );
  summary.rejected.sort((a, b) => a.row - b.row);
  if (fatal !== undefined) {
    const message = fatal instanceof Error ? fatal.message : String(fatal);
    throw new IntakeError('aborted', `import stopped: ${message} (re-running the import is safe)`, summary);
  }
  if (options.signal?.aborted) throw new IntakeError('aborted', 'import cancelled (re-running the import is safe)', summary);
  return summary;
}

/** Parses the file and opens its cases: `collections import`, the intake activity and tests. */
export async function importCsv(cases: CaseService, content: Buffer | string, options: ImportOptions = {}): Promise<ImportSummary> {
  const parsed = await parseIntakeCsv(content, { policyId: options.policyId });
  return importRows(cases, parsed, options);
}

export async function importCsvFile(cases: CaseService, file: string, options: ImportOptions = {}): Promise<ImportSummary> {
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new IntakeError('file_unreadable', `cannot read ${file}: ${why}`);
  }
  return importCsv(cases, content, options);
}
