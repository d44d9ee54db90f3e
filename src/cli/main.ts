import { Command, CommanderError, Option } from 'commander';
import type { BulkSignalName } from '../client/bulk';
import { DEFAULT_IMPORT_CONCURRENCY, DEFAULT_INTAKE_CRON, DEFAULT_INTAKE_TIMEZONE, INTAKE_SCHEDULE_ID } from '../shared/intake';
import * as schemas from '../shared/schemas';
import { beforeOption, nonNegativeInt, positiveInt } from './arguments';
import { describeFailure, EXIT, oneLine } from './errors';
import { Session, type CliIO, type CommandContext } from './session';

/**
 * `collections`: the operations CLI (spec section 6). Human tables by default, `--json`
 * for scripts; every failure exits non-zero with a one-line reason on stderr (exit codes
 * in ./errors.ts). Configuration from the environment: TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY / TLS variables, TASK_QUEUE, LOG_LEVEL.
 *
 * This module declares the commands; each command's code is in ./commands/ and is loaded
 * when the command runs (a `require` typed with `typeof import(...)`), so a run loads only
 * what its command uses: every run is a new process, and start-up is most of a short one.
 */

export type { CliIO };

const processIO: CliIO = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  interactive: Boolean(process.stderr.isTTY),
};

const commands = {
  intake: () => require('./commands/intake') as typeof import('./commands/intake'),
  cases: () => require('./commands/cases') as typeof import('./commands/cases'),
  read: () => require('./commands/read') as typeof import('./commands/read'),
  bulk: () => require('./commands/bulk') as typeof import('./commands/bulk'),
  evidence: () => require('./commands/evidence') as typeof import('./commands/evidence'),
  archive: () => require('./commands/archive') as typeof import('./commands/archive'),
};

interface GlobalOptions {
  json?: boolean;
  as?: string;
  token?: string;
}

export function buildProgram(session: Session): Command {
  const { io } = session;
  const program = new Command('collections');
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  /** Read when a command runs, after the global options are parsed. */
  const cli: CommandContext = {
    session,
    io,
    get json() {
      return Boolean(globals().json);
    },
    print: (text) => io.stdout(text.endsWith('\n') ? text : `${text}\n`),
    printJson: (value) => cli.print(JSON.stringify(value, null, 2)),
    /** Who acts (./identity.ts): the --as operator, checked against OPERATORS_FILE and the role, or the OS user. */
    actor: (minimumRole) => (require('./identity') as typeof import('./identity')).resolveCliIdentity(globals(), io.env, minimumRole).actor,
  };

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
    .action((file: string, options: { concurrency: number; policy?: string }) => commands.intake().importFile(cli, file, options));

  program
    .command('status')
    .description("a case's status (the workflow's status query)")
    .argument('<loanId>')
    .action((loanId: string) => commands.cases().status(cli, loanId));

  program
    .command('timeline')
    .description("a case's business timeline")
    .argument('<loanId>')
    .action((loanId: string) => commands.cases().timeline(cli, loanId));

  program
    .command('list')
    .description('find cases, open and closed, newest first (from the case archive; from Temporal visibility with --query or without DATABASE_URL)')
    .addOption(new Option('--stage <stage>', 'collection stage').choices(schemas.Stage.options))
    .addOption(new Option('--state <state>', 'case state').choices(schemas.CaseState.options))
    .option('--query <visibility query>', "any visibility filter, e.g. \"OutstandingMinor > 10000000 AND Segment = 'corporate'\"")
    .option('--open', 'open cases only')
    .addOption(new Option('--limit <n>', 'at most this many cases (0: all)').argParser(nonNegativeInt('--limit')).default(100))
    .action((options: { stage?: string; state?: string; query?: string; open?: boolean; limit: number }) => commands.read().list(cli, options));

  program
    .command('pay')
    .description("record a repayment (amount in major units, converted exactly in the case's currency)")
    .argument('<loanId>')
    .requiredOption('--amount <amount>', 'amount in major units, e.g. 1000.00')
    .requiredOption('--ref <paymentId>', 'payment id (a repeated id is counted once)')
    .option('--currency <code>', "the payment's currency; must be the case's (default: the case's)")
    .option('--received-at <instant>', 'when the money arrived, ISO-8601 with offset (default: now)')
    .option('--channel <channel>', 'how it was paid, e.g. bank_transfer')
    .action((loanId: string, options: { amount: string; ref: string; currency?: string; receivedAt?: string; channel?: string }) => commands.cases().pay(cli, loanId, options));

  program
    .command('pause')
    .description('put a case on hold (operator pause)')
    .argument('<loanId>')
    .requiredOption('--reason <text>', 'why (recorded on the timeline)')
    .option('--until <instant>', 'resume automatically at this ISO-8601 instant')
    .action((loanId: string, options: { reason: string; until?: string }) => commands.cases().pause(cli, loanId, options));

  program
    .command('resume')
    .description('lift an operator hold')
    .argument('<loanId>')
    .option('--reason <text>', 'why (recorded on the timeline)')
    .action((loanId: string, options: { reason?: string }) => commands.cases().resume(cli, loanId, options));

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
    command.action((options: { query: string; reason: string; dryRun?: boolean; yes?: boolean; until?: string }) => commands.bulk().bulkSignalCommand(cli, signal, options));
  }

  program
    .command('evidence')
    .description("a case's full record for court or complaint handling")
    .argument('<loanId>')
    .addOption(new Option('--format <format>', 'json, or html (a printable document)').choices(['json', 'html']))
    .option('--out <file>', 'write to this file instead of stdout')
    .action((loanId: string, options: { format?: 'json' | 'html'; out?: string }) => commands.evidence().evidence(cli, loanId, options));

  program
    .command('report')
    .description('collection KPIs over all cases, open and closed (from the case archive; from Temporal visibility with --query or without DATABASE_URL)')
    .option('--query <visibility query>', 'only cases matching this filter')
    .option('--currency <code>', 'only cases in this currency (needed when the portfolio has several)')
    .action((options: { query?: string; currency?: string }) => commands.read().report(cli, options));

  program
    .command('schedule-intake')
    .description(`create or update the daily intake schedule (imports new *.csv files from a folder on the worker)`)
    .requiredOption('--folder <dir>', 'intake folder, as the worker sees it (files are moved to processed/ once imported)')
    .option('--cron <expression>', `when, as a 5-field cron expression`, DEFAULT_INTAKE_CRON)
    .option('--timezone <zone>', 'time zone of the cron expression', DEFAULT_INTAKE_TIMEZONE)
    .option('--policy <id>', "policy for the cases opened (default: the worker's default)")
    .option('--schedule-id <id>', 'schedule id (one per intake folder)', INTAKE_SCHEDULE_ID)
    .option('--trigger', 'also run a sweep now')
    .action((options: { folder: string; cron: string; timezone: string; policy?: string; scheduleId: string; trigger?: boolean }) => commands.intake().scheduleIntake(cli, options));

  const archive = program.command('archive').description('the case archive in PostgreSQL (DATABASE_URL): refill it from Temporal, purge old cases');
  archive
    .command('rebuild')
    .description("refill the archive from Temporal: every case's status and timeline (idempotent; a worker must be running)")
    .addOption(new Option('--concurrency <n>', 'cases queried at a time').argParser(positiveInt('--concurrency')).default(8))
    .option('--query <visibility query>', "only the cases matching this filter, e.g. \"TaskQueue = 'collections'\"")
    .action((options: { concurrency: number; query?: string }) => commands.archive().rebuild(cli, options));
  archive
    .command('purge')
    .description('delete archived cases closed before a date, with their timelines (open cases are never purged); keep contact records as long as your rules require (CN: at least 2 years)')
    .requiredOption('--before <date>', 'cases closed before this date (YYYY-MM-DD, UTC) or instant', beforeOption)
    .option('--dry-run', 'only count what would be deleted')
    .action((options: { before: Date; dryRun?: boolean }) => commands.archive().purge(cli, options));

  return program;
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
