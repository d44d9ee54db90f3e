import type { CaseArchive } from '../../archive/case-archive';
import { parseCaseFilter, sqlFilter } from '../../client/case-filter';
import { buildReportWithCurrency, caseRowFromArchive, listCaseRows, type CaseRow } from '../../client/reports';
import { assertWellFormedFilter, CASE_RUNS_SCOPE, scoped, stageStateFilter } from '../../client/visibility-query';
import * as render from '../render';
import type { CommandContext } from '../session';

/** The read model: `list` and `report`, from the case archive, or from Temporal visibility with --query or without DATABASE_URL. */

export async function list(cli: CommandContext, options: { stage?: string; state?: string; query?: string; open?: boolean; limit: number }): Promise<void> {
  const userQuery = options.query?.trim();
  const archive = userQuery ? undefined : await cli.session.archive();
  const rows = archive
    ? await listArchivedRows(archive, { stage: options.stage, state: options.state, open: options.open }, options.limit)
    : await listVisibleRows(cli, { ...options, query: userQuery });
  if (cli.json) cli.printJson(rows);
  else cli.print(render.renderList(rows));
}

/** Every case run Temporal visibility matches, newest first, at most `limit` (0: all). */
async function listVisibleRows(cli: CommandContext, options: { stage?: string; state?: string; query?: string; open?: boolean; limit: number }): Promise<CaseRow[]> {
  const { session } = cli;
  if (options.query) assertWellFormedFilter(options.query);
  const filters = [stageStateFilter(options), options.query ? `(${options.query})` : undefined, options.open ? "ExecutionStatus = 'Running'" : undefined].filter(Boolean);
  const client = await session.client();
  const rows: CaseRow[] = [];
  const query = scoped(CASE_RUNS_SCOPE, filters.length > 0 ? filters.join(' AND ') : undefined);
  session.logger.debug({ query }, 'listing cases');
  for await (const row of listCaseRows(client, query, options.limit > 0 ? Math.min(options.limit, 1000) : 1000)) {
    rows.push(row);
    if (options.limit > 0 && rows.length >= options.limit) break;
  }
  return rows;
}

/** Every archived case matching the filter, newest first, at most `limit` (0: all). */
async function listArchivedRows(archive: CaseArchive, raw: { stage?: string; state?: string; open?: boolean }, limit: number): Promise<CaseRow[]> {
  const filter = sqlFilter(parseCaseFilter(raw));
  const rows: CaseRow[] = [];
  let after: { openedAt: string; caseKey: string } | undefined;
  for (;;) {
    const pageSize = limit > 0 ? Math.min(limit - rows.length, 1000) : 1000;
    const page = await archive.listCases(filter, pageSize, after);
    rows.push(...page.map(caseRowFromArchive));
    const last = page[page.length - 1];
    if (!last || page.length < pageSize || (limit > 0 && rows.length >= limit)) return rows;
    after = { openedAt: last.openedAt, caseKey: last.caseKey };
  }
}

export async function report(cli: CommandContext, options: { query?: string; currency?: string }): Promise<void> {
  const { session } = cli;
  const client = await session.client();
  const archive = options.query?.trim() ? undefined : await session.archive();
  const began = performance.now();
  const { report, currency, source } = await buildReportWithCurrency(client, { query: options.query, currency: options.currency?.toUpperCase() }, archive);
  const seconds = (performance.now() - began) / 1000;
  session.logger.info({ cases: report.cases, seconds, source }, 'report computed');
  if (cli.json) cli.printJson(report);
  else cli.print(render.renderReport(report, currency, seconds));
}
