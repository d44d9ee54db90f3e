import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Client } from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import { archiveFromEnv } from '../archive/from-env';
import type { CaseArchive } from '../archive/case-archive';
import { rebuildArchive } from '../client/archive-rebuild';
import { bulkSignal, type BulkSignalName } from '../client/bulk';
import { parseCaseFilter, sqlFilter } from '../client/case-filter';
import { CaseError, CaseService } from '../client/case-service';
import { buildEvidence, renderEvidenceHtml } from '../client/evidence';
import { DEFAULT_IMPORT_CONCURRENCY, importCsvFile, IntakeError, type ImportProgress } from '../client/intake';
import { DEFAULT_INTAKE_CRON, DEFAULT_INTAKE_TIMEZONE, INTAKE_SCHEDULE_ID, triggerIntakeSchedule, upsertIntakeSchedule } from '../client/intake-schedule';
import { buildReportWithCurrency, caseRowFromArchive, listCaseRows, type CaseRow } from '../client/reports';
import { parseCaseQuery } from '../client/visibility-filter';
import { assertWellFormedFilter, CASE_RUNS_SCOPE, scoped, stageStateFilter } from '../client/visibility-query';
import { CaseEnv, parseEnv } from '../config';
import { loadConfiguredPolicies } from '../policy/load';
import { parseMajorUnits } from '../shared/money';
import * as schemas from '../shared/schemas';
import { createLogger } from '../logger';
import { connectClient, payloadProtection } from '../temporal-connection';
import { CliError, CliExit, describeFailure, EXIT, oneLine } from './errors';
import { resolveCliIdentity } from './identity';
import * as render from './render';

/**
 * `collections`: the operations CLI (spec section 6). Human tables by default, `--json`
 * for scripts; every failure exits non-zero with a one-line reason on stderr (exit codes
 * in ./errors.ts). Configuration from the environment: TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY / TLS variables, TASK_QUEUE, LOG_LEVEL.
 */

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Progress bars and confirmation prompts only on a terminal. */
  interactive: boolean;
}

const processIO: CliIO = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  interactive: Boolean(process.stderr.isTTY),
};

class Session {
  private clientPromise?: Promise<Client>;
  private archivePromise?: Promise<CaseArchive | undefined>;
  private envCache?: CaseEnv;
  private loggerCache?: Logger;

  constructor(readonly io: CliIO) {}

  /** Logs never go to stdout (the command's output, tables or JSON); quiet (warn) unless LOG_LEVEL says otherwise. */
  get logger(): Logger {
    this.loggerCache ??= createLogger('collections-cli', { level: this.io.env.LOG_LEVEL ? this.env.LOG_LEVEL : 'warn', format: this.env.LOG_FORMAT, destination: 2 });
    return this.loggerCache;
  }

  get env(): CaseEnv {
    this.envCache ??= parseEnv(CaseEnv, this.io.env);
    return this.envCache;
  }

  client(): Promise<Client> {
    this.clientPromise ??= (async () => {
      const protection = payloadProtection(this.env);
      if (!protection.activeKeyId) this.logger.warn(protection.summary);
      return connectClient(this.env, protection.dataConverter);
    })();
    return this.clientPromise;
  }

  /** The case archive when DATABASE_URL is set (schema migrated on first use). */
  archive(): Promise<CaseArchive | undefined> {
    this.archivePromise ??= archiveFromEnv(this.env, { info: () => undefined, warn: (message: string) => this.logger.debug(message) });
    return this.archivePromise;
  }

  async cases(): Promise<CaseService> {
    return new CaseService(await this.client(), this.env.TASK_QUEUE, loadConfiguredPolicies(this.env));
  }

  async close(): Promise<void> {
    await this.archivePromise?.then((archive) => archive?.close()).catch(() => undefined);
    if (!this.clientPromise) return;
    try {
      await (await this.clientPromise).connection.close();
    } catch {
      // the connection never came up
    }
  }
}

// ---- Argument parsers ------------------------------------------------------------------------

function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return Number(value);
  };
}

function nonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    return Number(value);
  };
}

function loanIdArg(value: string): string {
  const parsed = schemas.LoanId.safeParse(value);
  if (!parsed.success) throw new CaseError('invalid_request', `invalid loan id "${value}": ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function instantOption(value: string, name: string): string {
  if (!schemas.IsoInstant.safeParse(value).success) throw new CaseError('invalid_request', `${name} must be an ISO-8601 instant with offset, e.g. 2026-12-01T09:00:00+08:00`);
  return value;
}

// ---- The program ----------------------------------------------------------------------------

interface GlobalOptions {
  json?: boolean;
  as?: string;
  token?: string;
}

export function buildProgram(session: Session): Command {
  const { io } = session;
  const out = (text: string) => io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const json = (value: unknown) => out(JSON.stringify(value, null, 2));
  const program = new Command('collections');
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  /** Who acts (./identity.ts): the --as operator, checked against OPERATORS_FILE and the role, or the OS user. */
  const actorFor = (minimumRole: Parameters<typeof resolveCliIdentity>[2]) => resolveCliIdentity(globals(), io.env, minimumRole).actor;

  program
    .description('Operate collection cases on Temporal: intake, inspect, steer and measure.')
    .option('--json', 'machine-readable JSON output')
    .option('--as <operator>', 'act as this operator of OPERATORS_FILE (with --token or COLLECTIONS_TOKEN); default: your OS user')
    .option('--token <token>', "the --as operator's bearer token (prefer COLLECTIONS_TOKEN: a flag shows in the process list)")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      // Errors are printed once, on one line, by main().
      outputError: () => undefined,
    })
    .addHelpText(
      'after',
      `
Environment: TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default), TEMPORAL_API_KEY,
TEMPORAL_TLS_CERT/KEY/CA, TASK_QUEUE (collections), LOG_LEVEL; OPERATORS_FILE and
COLLECTIONS_TOKEN for --as. The timeline records the --as operator, else your OS user.

Exit codes: 0 ok; 1 failed (e.g. Temporal unreachable); 2 bad arguments or input; 3 no such
case; 4 refused by a business rule (currency mismatch, case closed); 5 import finished
with rejected rows.`,
    );

  program
    .command('import')
    .description('open a case per row of an overdue CSV file (idempotent; bad rows are reported and skipped)')
    .argument('<file>', 'CSV with the columns of the intake format (spec section 6)')
    .addOption(new Option('--concurrency <n>', 'cases opened at once').argParser(positiveInt('--concurrency')).default(DEFAULT_IMPORT_CONCURRENCY))
    .option('--policy <id>', "policy for every case of the file (default: the worker's default policy)")
    .action(async (file: string, options: { concurrency: number; policy?: string }) => {
      const cases = await session.cases();
      const bar = io.interactive && !globals().json ? new SingleBar({ format: 'import {bar} {value}/{total} rows | opened {opened} | already open {alreadyOpen} | rejected {rejected} | {eta_formatted} left', stream: process.stderr, hideCursor: true }) : undefined;
      let started = false;
      const onProgress = (p: ImportProgress) => {
        if (!bar) return;
        const payload = { opened: p.opened, alreadyOpen: p.alreadyOpen, rejected: p.rejected };
        if (!started) {
          bar.start(p.total, p.done, payload);
          started = true;
        } else bar.update(p.done, payload);
      };
      const began = performance.now();
      let summary;
      try {
        summary = await importCsvFile(cases, path.resolve(file), { concurrency: options.concurrency, policyId: options.policy, onProgress });
      } catch (error) {
        bar?.stop();
        if (error instanceof IntakeError && error.partial) {
          if (globals().json) json(error.partial);
          else out(render.renderImport(error.partial, (performance.now() - began) / 1000));
        }
        throw error;
      }
      bar?.stop();
      const seconds = (performance.now() - began) / 1000;
      session.logger.info({ file, opened: summary.opened, alreadyOpen: summary.alreadyOpen, rejected: summary.rejected.length, seconds }, 'import finished');
      if (globals().json) json(summary);
      else out(render.renderImport(summary, seconds));
      if (summary.rejected.length > 0) throw new CliExit(EXIT.partial, `${summary.rejected.length} row${summary.rejected.length === 1 ? '' : 's'} rejected (see the ${globals().json ? '"rejected" list' : 'table above'})`);
    });

  program
    .command('status')
    .description("a case's status (the workflow's status query)")
    .argument('<loanId>')
    .action(async (loanId: string) => {
      const status = await (await session.cases()).status(loanIdArg(loanId));
      if (globals().json) json(status);
      else out(render.renderStatus(status));
    });

  program
    .command('timeline')
    .description("a case's business timeline")
    .argument('<loanId>')
    .action(async (loanId: string) => {
      const timeline = await (await session.cases()).timeline(loanIdArg(loanId));
      if (globals().json) json(timeline);
      else out(render.renderTimeline(timeline));
    });

  program
    .command('list')
    .description('find cases, open and closed, newest first (from the case archive; from Temporal visibility with --query or without DATABASE_URL)')
    .addOption(new Option('--stage <stage>', 'collection stage').choices(schemas.Stage.options))
    .addOption(new Option('--state <state>', 'case state').choices(schemas.CaseState.options))
    .option('--query <visibility query>', "any visibility filter, e.g. \"OutstandingMinor > 10000000 AND Segment = 'corporate'\"")
    .option('--open', 'open cases only')
    .addOption(new Option('--limit <n>', 'at most this many cases (0: all)').argParser(nonNegativeInt('--limit')).default(100))
    .action(async (options: { stage?: string; state?: string; query?: string; open?: boolean; limit: number }) => {
      const userQuery = options.query?.trim();
      const archive = userQuery ? undefined : await session.archive();
      if (archive) {
        const rows = await listArchivedRows(archive, { stage: options.stage, state: options.state, open: options.open }, options.limit);
        if (globals().json) json(rows);
        else out(render.renderList(rows));
        return;
      }
      if (userQuery) assertWellFormedFilter(userQuery);
      const filters = [stageStateFilter(options), userQuery ? `(${userQuery})` : undefined, options.open ? "ExecutionStatus = 'Running'" : undefined].filter(Boolean);
      const client = await session.client();
      const rows: CaseRow[] = [];
      const query = scoped(CASE_RUNS_SCOPE, filters.length > 0 ? filters.join(' AND ') : undefined);
      session.logger.debug({ query }, 'listing cases');
      for await (const row of listCaseRows(client, query, options.limit > 0 ? Math.min(options.limit, 1000) : 1000)) {
        rows.push(row);
        if (options.limit > 0 && rows.length >= options.limit) break;
      }
      if (globals().json) json(rows);
      else out(render.renderList(rows));
    });

  program
    .command('pay')
    .description("record a repayment (amount in major units, converted exactly in the case's currency)")
    .argument('<loanId>')
    .requiredOption('--amount <amount>', 'amount in major units, e.g. 1000.00')
    .requiredOption('--ref <paymentId>', 'payment id (a repeated id is counted once)')
    .option('--currency <code>', "the payment's currency; must be the case's (default: the case's)")
    .option('--received-at <instant>', 'when the money arrived, ISO-8601 with offset (default: now)')
    .option('--channel <channel>', 'how it was paid, e.g. bank_transfer')
    .action(async (loanIdRaw: string, options: { amount: string; ref: string; currency?: string; receivedAt?: string; channel?: string }) => {
      actorFor('collector'); // payments by hand are a collector's when an operator is named
      const loanId = loanIdArg(loanIdRaw);
      const cases = await session.cases();
      const { memo } = await cases.openHandle(loanId);
      const caseCurrency = memo?.currency ?? (await cases.status(loanId)).currency;
      const currency = options.currency?.trim().toUpperCase() ?? caseCurrency;
      if (currency !== caseCurrency) throw new CaseError('currency_mismatch', `payment currency ${currency} does not match the case currency ${caseCurrency}`);
      const amountMinor = parseMajorUnits(options.amount, currency);
      if (amountMinor <= 0) throw new CaseError('invalid_request', `--amount must be greater than 0 (got ${options.amount})`);
      const payment = {
        paymentId: options.ref,
        amountMinor,
        currency,
        receivedAt: options.receivedAt ? instantOption(options.receivedAt, '--received-at') : new Date().toISOString(),
        ...(options.channel ? { channel: options.channel } : {}),
      };
      const result = await cases.recordPayment(loanId, payment);
      if (globals().json) json({ loanId, ...payment, duplicate: result.duplicate });
      else if (result.duplicate) out(`Payment ${payment.paymentId} was already recorded for loan ${loanId}; it counts once.`);
      else out(`Payment ${payment.paymentId} of ${render.money(amountMinor, currency)} recorded for loan ${loanId}.`);
    });

  program
    .command('pause')
    .description('put a case on hold (operator pause)')
    .argument('<loanId>')
    .requiredOption('--reason <text>', 'why (recorded on the timeline)')
    .option('--until <instant>', 'resume automatically at this ISO-8601 instant')
    .action(async (loanIdRaw: string, options: { reason: string; until?: string }) => {
      const loanId = loanIdArg(loanIdRaw);
      const payload = { reason: options.reason, actor: actorFor('collector'), ...(options.until ? { until: instantOption(options.until, '--until') } : {}) };
      await (await session.cases()).signal(loanId, 'pause', payload);
      if (globals().json) json({ loanId, signal: 'pause', ...payload });
      else out(`Loan ${loanId} paused: ${payload.reason}.`);
    });

  program
    .command('resume')
    .description('lift an operator hold')
    .argument('<loanId>')
    .option('--reason <text>', 'why (recorded on the timeline)')
    .action(async (loanIdRaw: string, options: { reason?: string }) => {
      const loanId = loanIdArg(loanIdRaw);
      const payload = { actor: actorFor('collector'), ...(options.reason ? { reason: options.reason } : {}) };
      await (await session.cases()).signal(loanId, 'resume', payload);
      if (globals().json) json({ loanId, signal: 'resume', ...payload });
      else out(`Loan ${loanId} resumed.`);
    });

  const bulk = program
    .command('bulk')
    .description('pause or resume every open case matching a query over our search attributes (moratoria), as a Temporal batch operation');
  for (const signal of ['pause', 'resume'] as const satisfies BulkSignalName[]) {
    const command = bulk
      .command(signal)
      .description(`${signal} every open case matching --query`)
      .requiredOption(
        '--query <filter>',
        "comparisons of our search attributes joined by AND/OR/parentheses, e.g. \"LoanId IN ('L-1', 'L-2')\" or \"Segment = 'small_balance' AND OutstandingMinor > 100000\"",
      )
      .requiredOption('--reason <text>', "why (recorded on each case's timeline)")
      .option('--dry-run', 'only count the matching cases')
      .option('--yes', 'do not ask for confirmation');
    if (signal === 'pause') command.option('--until <instant>', 'resume automatically at this ISO-8601 instant');
    command.action(async (options: { query: string; reason: string; dryRun?: boolean; yes?: boolean; until?: string }) => {
      // A strict parser, not the query text: only our search attributes reach Temporal (src/client/visibility-filter.ts).
      const filter = parseCaseQuery(options.query);
      const actor = actorFor('supervisor');
      const client = await session.client();
      const payload = options.until ? { until: instantOption(options.until, '--until') } : {};
      const common = { filter, signal, payload, actor, reason: options.reason };
      if (!options.dryRun && !options.yes) {
        const { matched } = await bulkSignal(client, { ...common, dryRun: true });
        if (matched === 0) {
          if (globals().json) json({ matched: 0, dryRun: false });
          else out(render.renderBulk(signal, { matched: 0, dryRun: false }));
          return;
        }
        if (!io.interactive || globals().json) throw new CliError(`${matched} open case${matched === 1 ? '' : 's'} match; add --yes to ${signal} them (or --dry-run to only count)`, EXIT.usage);
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(`${signal} ${matched} open case${matched === 1 ? '' : 's'}? Reason: "${options.reason}". [y/N] `);
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('cancelled; nothing was sent', EXIT.failure);
      }
      const result = await bulkSignal(client, { ...common, dryRun: Boolean(options.dryRun) });
      if (globals().json) json(result);
      else out(render.renderBulk(signal, result));
      if (result.failed) throw new CliExit(EXIT.partial, `${result.failed} case${result.failed === 1 ? '' : 's'} could not be signalled (temporal batch describe --job-id ${result.jobId})`);
    });
  }

  program
    .command('evidence')
    .description("a case's full record for court or complaint handling")
    .argument('<loanId>')
    .addOption(new Option('--format <format>', 'json, or html (a printable document)').choices(['json', 'html']))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (loanIdRaw: string, options: { format?: 'json' | 'html'; out?: string }) => {
      const exportedBy = actorFor('supervisor'); // evidence packs are for supervisors when an operator is named
      const format = options.format ?? (options.out && /\.html?$/i.test(options.out) ? 'html' : 'json');
      const pack = await buildEvidence(await session.cases(), loanIdArg(loanIdRaw), exportedBy, await session.archive());
      const content = format === 'html' ? renderEvidenceHtml(pack) : `${JSON.stringify(pack, null, 2)}\n`;
      if (!options.out) return io.stdout(content);
      const file = path.resolve(options.out);
      // The pack holds the debtor's personal data: readable by its owner only (chmod too, for a file that existed).
      await writeFile(file, content, { encoding: 'utf8', mode: 0o600 });
      await chmod(file, 0o600);
      if (globals().json) json({ loanId: pack.loanId, format, out: file, bytes: Buffer.byteLength(content) });
      else out(`Evidence pack for loan ${pack.loanId} written to ${file} (${format}).`);
    });

  program
    .command('report')
    .description('collection KPIs over all cases, open and closed (from the case archive; from Temporal visibility with --query or without DATABASE_URL)')
    .option('--query <visibility query>', 'only cases matching this filter')
    .option('--currency <code>', 'only cases in this currency (needed when the portfolio has several)')
    .action(async (options: { query?: string; currency?: string }) => {
      const client = await session.client();
      const archive = options.query?.trim() ? undefined : await session.archive();
      const began = performance.now();
      const { report, currency, source } = await buildReportWithCurrency(client, { query: options.query, currency: options.currency?.toUpperCase() }, archive);
      const seconds = (performance.now() - began) / 1000;
      session.logger.info({ cases: report.cases, seconds, source }, 'report computed');
      if (globals().json) json(report);
      else out(render.renderReport(report, currency, seconds));
    });

  program
    .command('schedule-intake')
    .description(`create or update the daily intake schedule (imports new *.csv files from a folder on the worker)`)
    .requiredOption('--folder <dir>', 'intake folder, as the worker sees it (files are moved to processed/ once imported)')
    .option('--cron <expression>', `when, as a 5-field cron expression`, DEFAULT_INTAKE_CRON)
    .option('--timezone <zone>', 'time zone of the cron expression', DEFAULT_INTAKE_TIMEZONE)
    .option('--policy <id>', "policy for the cases opened (default: the worker's default)")
    .option('--schedule-id <id>', 'schedule id (one per intake folder)', INTAKE_SCHEDULE_ID)
    .option('--trigger', 'also run a sweep now')
    .action(async (options: { folder: string; cron: string; timezone: string; policy?: string; scheduleId: string; trigger?: boolean }) => {
      const client = await session.client();
      const result = await upsertIntakeSchedule(client, {
        folder: path.resolve(options.folder),
        cron: options.cron,
        timezone: options.timezone,
        policyId: options.policy,
        scheduleId: options.scheduleId,
        taskQueue: session.env.TASK_QUEUE,
      });
      if (options.trigger) await triggerIntakeSchedule(client, result.scheduleId);
      if (globals().json) json({ ...result, triggered: Boolean(options.trigger) });
      else out(`${render.renderSchedule(result)}${options.trigger ? '\nA sweep was started now.' : ''}`);
    });

  addArchiveCommands(program, session, { out, json, json_: () => Boolean(globals().json) });
  return program;
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

/** A date (YYYY-MM-DD, midnight UTC) or an ISO-8601 instant with offset. */
function beforeOption(value: string): Date {
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(value) || schemas.IsoInstant.safeParse(value).success;
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!ok || Number.isNaN(date.getTime())) throw new InvalidArgumentError('--before must be a date (2024-01-31) or an ISO-8601 instant with offset');
  return date;
}

/** `collections archive rebuild | purge` (spec section 11). */
function addArchiveCommands(program: Command, session: Session, output: { out: (text: string) => void; json: (value: unknown) => void; json_: () => boolean }): void {
  const { out, json } = output;
  const needArchive = async (): Promise<CaseArchive> => {
    const archive = await session.archive();
    if (!archive) throw new CliError('DATABASE_URL is not set: there is no case archive to work on', EXIT.usage);
    return archive;
  };
  const archive = program.command('archive').description('the case archive in PostgreSQL (DATABASE_URL): refill it from Temporal, purge old cases');
  archive
    .command('rebuild')
    .description("refill the archive from Temporal: every case's status and timeline (idempotent; a worker must be running)")
    .addOption(new Option('--concurrency <n>', 'cases queried at a time').argParser(positiveInt('--concurrency')).default(8))
    .option('--query <visibility query>', "only the cases matching this filter, e.g. \"TaskQueue = 'collections'\"")
    .action(async (options: { concurrency: number; query?: string }) => {
      const store = await needArchive();
      const began = performance.now();
      const result = await rebuildArchive(await session.cases(), store, { concurrency: options.concurrency, query: options.query });
      const seconds = (performance.now() - began) / 1000;
      if (output.json_()) json({ ...result, seconds });
      else {
        out(`Archive rebuilt from Temporal: ${result.cases} case${result.cases === 1 ? '' : 's'}, ${result.events} timeline events, in ${seconds.toFixed(1)} s.`);
        for (const f of result.failed) out(`  ${f.loanId}: ${f.reason}`);
      }
      if (result.failed.length > 0) throw new CliExit(EXIT.partial, `${result.failed.length} case${result.failed.length === 1 ? '' : 's'} could not be rebuilt`);
    });
  archive
    .command('purge')
    .description('delete archived cases closed before a date, with their timelines (open cases are never purged); keep contact records as long as your rules require (CN: at least 2 years)')
    .requiredOption('--before <date>', 'cases closed before this date (YYYY-MM-DD, UTC) or instant', beforeOption)
    .option('--dry-run', 'only count what would be deleted')
    .action(async (options: { before: Date; dryRun?: boolean }) => {
      const store = await needArchive();
      const result = await store.purgeClosedBefore(options.before, Boolean(options.dryRun));
      if (output.json_()) json({ before: options.before.toISOString(), dryRun: Boolean(options.dryRun), ...result });
      else out(`${options.dryRun ? 'Would delete' : 'Deleted'} ${result.cases} closed case${result.cases === 1 ? '' : 's'} (${result.events} timeline events) closed before ${options.before.toISOString()}.`);
    });
}

/** Runs the CLI; returns the exit code (the bin shim sets process.exitCode). */
export async function main(argv: string[] = process.argv, io: CliIO = processIO): Promise<number> {
  const session = new Session(io);
  let exitCode: number = EXIT.ok;
  try {
    await buildProgram(session).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0)) {
      exitCode = EXIT.ok;
    } else if (error instanceof CommanderError && error.code === 'commander.help') {
      exitCode = EXIT.usage; // `collections` with no command prints help to stderr
    } else {
      let address: string | undefined;
      try {
        address = session.env.TEMPORAL_ADDRESS;
      } catch {
        address = undefined;
      }
      const failure = describeFailure(error, address);
      try {
        session.logger.debug({ err: error }, 'command failed');
      } catch {
        // the configuration itself is what failed
      }
      io.stderr(`collections: ${oneLine(failure.message)}\n`);
      exitCode = failure.exitCode;
    }
  } finally {
    await session.close();
  }
  return exitCode;
}
