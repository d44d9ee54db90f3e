/**
 * Helpers for tests of the `collections` CLI: run it as a real Node process
 * (`node bin/collections.js ...`) or its `main()` in the test process, and write realistic
 * intake CSV files for it.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { CASE_RUNS_SCOPE, scoped } from '../../src/client/visibility-query';
import { eventually } from './eventually';

export const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'bin/collections.js');
const HEADER =
  'loanId,product,reason,debtorId,debtorType,debtorName,phone,email,addressLine1,city,postalCode,country,timezone,currency,amountDue,overdueSince,guarantorNames,guarantorPhones';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs the CLI with `env` as a Node process of its own (`bin/collections.js`); stdout parsed as JSON when it is JSON. */
export function runCli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve(cliResult(code, stdout, stderr));
    });
  });
}

/**
 * Runs the CLI's `main()` in this process, with `env` as its environment: the same argument
 * parsing, commands, output and exit codes as a `collections` run, without a Node process per
 * run (about half a CPU-second each, most of a test's CLI cost). Tests keep real processes for
 * what only a process shows (the bin shim, start-up, logs on stderr); logs of an in-process
 * run go to this process's stderr, not to `stderr`.
 */
export async function runCliInProcess(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  const cliMain = loadCliMain();
  let stdout = '';
  let stderr = '';
  const code = await cliMain(['node', 'collections', ...args], { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env, interactive: false });
  return cliResult(code, stdout, stderr);
}

let loadedMain: (typeof import('../../src/cli/main'))['main'] | undefined;

/**
 * The CLI's main(), loaded through tsx with the modules it requires on first use, as in the real
 * CLI: one copy of the CLI's modules (its errors are told apart with instanceof), apart from the
 * copies vitest loads for tests. This process's source-map setting stays as it was.
 */
function loadCliMain(): (typeof import('../../src/cli/main'))['main'] {
  if (!loadedMain) {
    const sourceMapsWanted = process.sourceMapsEnabled;
    require('../../scripts/register-tsx.cjs');
    process.setSourceMapsEnabled(sourceMapsWanted);
    loadedMain = (require(path.join(REPO, 'src/cli/main.ts')) as typeof import('../../src/cli/main')).main;
  }
  return loadedMain;
}

function cliResult(code: number, stdout: string, stderr: string): CliResult {
  let json: unknown;
  try {
    json = stdout.trim() ? JSON.parse(stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

/**
 * Waits, in this process, until visibility counts `expected` cases for `filter`, scoped as the
 * CLI's `list` scopes it: a test runs a CLI read once visibility has caught up, not once per poll.
 */
export async function waitForVisibleCases(client: Client, filter: string, expected: number, what: string): Promise<void> {
  const query = scoped(CASE_RUNS_SCOPE, filter);
  await eventually(() => client.workflow.count(query), (c) => c.count === expected, { timeoutMs: 60_000, what });
}

/** Today in Shanghai (the portfolio's time zone), as the CSV writes dates. */
export const todayInShanghai = (): string => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

const cell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export interface GeneratedRow {
  loanId: string;
  debtorType: 'individual' | 'corporate';
  amountDueMinor: number;
}

/** A realistic portfolio of `rows` rows overdue since `overdueSince`: individuals and companies, guarantors, names that need quoting. */
export function generatePortfolio(file: string, rows: number, prefix: string, overdueSince: string): GeneratedRow[] {
  const surnames = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'García', 'Fernández'];
  const generated: GeneratedRow[] = [];
  const lines = [HEADER];
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
  for (let i = 0; i < rows; i += 1) {
    const corporate = i % 10 === 9;
    const loanId = `${prefix}-${String(i).padStart(5, '0')}`;
    // Amounts from CNY 500.00 to about CNY 3,000,000.00, some with fen.
    const amountDueMinor = corporate ? 5_000_000 + (next() % 300_000_000) : 50_000 + (next() % 20_000_000);
    const name = corporate ? `${surnames[i % surnames.length]} Trading Co., Ltd. No. ${i}` : `${surnames[i % surnames.length]} "${i}" Wei`;
    const major = `${Math.floor(amountDueMinor / 100)}.${String(amountDueMinor % 100).padStart(2, '0')}`;
    lines.push(
      [
        loanId,
        corporate ? 'corporate_loan' : i % 3 === 0 ? 'credit_card' : 'personal_loan',
        'overdue',
        `${corporate ? 'E' : 'C'}-${i}`,
        corporate ? 'corporate' : 'individual',
        name,
        `+86138${String(i).padStart(8, '0')}`,
        i % 4 === 0 ? `debtor${i}@example.cn` : '',
        `${i} Century Avenue, Unit ${i % 50}`,
        'Shanghai',
        '200120',
        'CN',
        'Asia/Shanghai',
        'CNY',
        major,
        overdueSince,
        corporate ? `Guarantor A ${i};Guarantor B ${i}` : '',
        corporate ? `+86139${String(i).padStart(8, '0')};` : '',
      ]
        .map(cell)
        .join(','),
    );
    generated.push({ loanId, debtorType: corporate ? 'corporate' : 'individual', amountDueMinor });
  }
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return generated;
}
