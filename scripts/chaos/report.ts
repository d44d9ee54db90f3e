/** The matrix as a terminal table and as docs/reliability.md. */
import os from 'node:os';
import Table from 'cli-table3';
import type { Row } from './matrix';

const cells = (row: Row) => [
  String(row.number),
  row.title,
  row.result ? String(row.result.cases) : '-',
  row.result ? `${row.result.faults} (${row.result.faultsDescription})` : '-',
  row.result ? String(row.result.lost) : '-',
  row.result ? String(row.result.duplicated) : '-',
  row.result ? String(row.result.failed) : '-',
  row.outcome,
  row.outcome === 'pending' ? '-' : `${row.seconds} s`,
];
const HEADER = ['#', 'scenario', 'cases', 'faults injected', 'lost', 'duplicated', 'failed workflows', 'result', 'time'];

export function table(rows: Row[]): string {
  const t = new Table({ head: HEADER, wordWrap: true, colWidths: [4, 34, 7, 34, 6, 12, 18, 9, 8] });
  for (const row of rows) t.push(cells(row));
  return t.toString();
}

/** What building the matrix found, fixed or not: kept with the generator so every run's document carries it. */
export const FINDINGS = `### What the matrix found

Fixed:

- **A webhook racing the case's completion could get 500** (predicted in issue 12; fixed before
  the first run). The API found the case open, then the signal hit a case that had closed
  meanwhile (\`WorkflowNotFoundError\`, unmapped). Now it is
  "no open case": \`404 case_not_found\`, or \`202\` when it is a redelivery of a payment the case
  counted (\`src/client/case-service.ts\`). Scenario 6 sees both answers and never a 5xx.
- **Temporal down: a slow 503 with the wrong code** (measured by scenario 5). The API answered after about 21 s of the SDK's
  own retries, with code \`unavailable\` and no \`Retry-After\`. Now every request's Temporal calls
  share an 8 s deadline (bulk and reports excepted), and the answer is \`503 temporal_unavailable\`
  with \`Retry-After: 5\` (\`src/api/errors.ts\`, \`src/api/temporal-deadline.ts\`); /healthz says so too.
- **The sandbox could not lose a response, rate-limit or stall past the activity timeout**, and
  the provider gateway ignored \`Retry-After\`. The sandbox now has \`dropFirstResponses\`,
  \`dropResponseRate\`, \`rateLimitRate\` + \`retryAfterSeconds\`, \`slowRate\` + \`slowMs\`; a 429's
  \`Retry-After\` becomes the next attempt's delay (\`nextRetryDelay\`).
- **An API started while Temporal was down exited** instead of answering 503 (found by checking
  spec section 13 from outside, as an independent fault script would: it restarts pieces in any
  order). The API now connects lazily, listens, answers \`503 temporal_unavailable\` with
  \`Retry-After\` and serves once the server is back (\`src/api/temporal-deadline.ts\`; the CI subset
  starts an API process while the server is down).
- **A storm of signals that reaches a case before its first workflow task stalled the case**
  (scenario 10b: opened while no worker runs, 2,000 signals, then a worker; every attempt of the
  first task outlasted the 10 s task timeout on the loaded machine). Since
  \`patched('bounded-message-work')\` (branch engine) the held messages wait in one queue: the
  case applies them all within seconds of the worker's start and continues as new.
- **A webhook right after a worker \`kill -9\` could get 500** (scenario 1 at full size, once payments
  went through the \`applyPayment\` update): the server refuses an update while the case's workflow
  task is failing or timed out (\`FAILED_PRECONDITION\`, "Workflow Task in failed state") until a
  worker completes a retry of it. Now \`503 temporal_unavailable\` with \`Retry-After\`
  (\`src/api/errors.ts\`); the matrix's senders retry as it says.
- **The ledger could not tell a delivery from its replay** to a script reading it alone (both
  \`200\`): every request now says \`replayed\`. **A killed sandbox forgot its ledger and its
  idempotency keys** (a retry after its restart would have been a second delivery, unlike a real
  provider): \`SANDBOX_LEDGER_FILE\` keeps both across a \`kill -9\`. What such a script needs (process groups to
  \`kill -9\`, ports, readiness, faults, keys, the ledger, the 503s):
  [fault-injection.md](fault-injection.md).
- **The case archive lost timeline events when one wake-up recorded more than 200** (spec section 11:
  the archive holds every timeline event; scenario 10b failed on it: 206 of 1,008 events archived).
  The archive batch was cut from the state's recent window of 200 events (\`archiveBatch\`), so
  events recorded and dropped from the window in one activation never reached it. Fixed by an archive backlog
  (\`patched('archive-backlog')\`); after it, \`npm run chaos -- --only
  signal-storm-before-open\` passed (every payment in the archive, applied 3.5 s after the worker
  started). The judge reads a case's whole timeline from the archive and, when the archive holds
  fewer events than the case recorded, reports the gap and checks \`paidMinor\` instead.

- **A storm of 10,000 signals on a running case stalled it (scenario 10).** Before
  \`patched('bounded-message-work')\`: one run of 12,075 events whose backlog task failed every
  attempt on the SDK's deadlock detector (each message scanned every payment id, was listed on the
  timeline and synced search attributes and memo). With it, each message costs O(1) (payments
  looked up by id, redeliveries counted, one sync when the case next waits) and the run continues
  as new past 2,000 events. The archive then lacked events that arrived while the run settled
  before continue-as-new (3,041 of 5,013 in a full run at 02:38): \`settle()\` now also sends
  what comes in during its writes, until nothing is left or a write fails
  (\`src/workflows/case-archiver.ts\`). Scenario 10 passes at full size: 10,000 signals, every
  payment applied 5 to 7 s after the storm, two runs, every event in the archive.

Still fragile:

- **The storm is one activation.** The server hands a running case all 10,000 signals in one
  workflow task (the task after the first starts only when the storm is over). On a quiet
  machine that activation takes a few seconds; at a load average of 15 to 20 it took 5.6 to 8.3 s
  (SDK warning TMPRL1104), the SDK's deadlock detector stopped it at 5 s and the worker process
  died in Node ("async hook stack has become corrupted", temporalio/sdk-typescript#939), attempt
  after attempt, until the load dropped. Nothing is lost or counted twice meanwhile. A bound on
  the messages applied per activation (handlers that only queue, a loop that applies a few
  hundred and yields) would remove the dependence on load.`;

export function markdown(rows: Row[], command: string, startedAt: Date, totalSeconds: number): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    '# Reliability: the fault matrix',
    '',
    '<!-- Written by `npm run chaos` from its last full run; do not edit by hand. -->',
    '',
    `Generated by \`${command}\` on ${startedAt.toISOString()} (${os.cpus().length} CPU cores, Node ${process.version}; ${totalSeconds} s in all).`,
    'Each scenario runs against a real stack: a Temporal dev server on its own SQLite file (killed with `kill -9` and',
    'restarted on the same database), worker child processes (killed with SIGKILL or stopped with SIGTERM), the HTTP',
    'API and the provider sandbox. A scenario passes when the sandbox ledger and the cases agree: every step the',
    'case recorded was delivered exactly once with the reference the case holds, every delivery of a closed case',
    'is on its timeline, every payment the API accepted is counted once, no workflow run ended Failed, Terminated or',
    'TimedOut (visibility `ExecutionStatus`), and every case has an explained outcome or is still running.',
    '',
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${cells(row).map(escape).join(' | ')} |`),
    '',
    '## Details',
    '',
  ];
  lines.push(FINDINGS, '');
  for (const row of rows) {
    lines.push(`**${row.number}. ${row.title}** (\`${row.id}\`): ${row.outcome}.`);
    if (row.reason) lines.push(`- ${row.outcome === 'pending' ? 'Pending' : 'Stopped'}: ${escape(row.reason)}`);
    for (const note of row.result?.notes ?? []) lines.push(`- ${escape(note)}`);
    for (const problem of (row.result?.problems ?? []).slice(0, 20)) lines.push(`- Problem: ${escape(problem)}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
