import { WorkflowNotFoundError } from '@temporalio/client';
import type { CaseArchive } from '../archive/case-archive';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { caseWorkflowId } from '../shared/ids';
import { formatMajorUnits } from '../shared/money';
import * as schemas from '../shared/schemas';
import type { TimelineKind } from '../shared/timeline';
import { CaseError, validate, type CaseService } from './case-service';

/**
 * The evidence pack: a case's full record for court or complaint handling. The debtor
 * and loan facts come from the case's first workflow event (what the bank sent when the
 * case opened); everything that happened since comes from the case's own timeline, which
 * records every contact attempt with its provider reference (the audit trail).
 *
 * A closed case whose history Temporal has deleted (namespace retention) is read from the
 * case archive instead (`source: 'archive'`): the loan facts, figures and the complete
 * timeline are there; the debtor's personal data is not (it is never archived), so only
 * the debtor type and time zone remain.
 */

export interface ContactAttempt {
  at: string;
  /** sms | call | letter | lawyer_letter, when known. */
  channel?: string;
  /** The ladder step occurrence, e.g. "sms-2", "demand_letter-g1". */
  step?: string;
  /** The provider's reference: message id, call task id, letter id, lawyer's letter reference. */
  providerRef?: string;
  /** debtor | guarantor (letters). */
  recipient?: string;
  /** sent, created, a call outcome (promise, refused, no_answer, ...), failed, invalid contact. */
  outcome: string;
  detail: string;
}

export interface EvidenceEvent {
  at: string;
  kind: TimelineKind;
  detail: string;
  data?: Record<string, unknown>;
}

export interface Deferral {
  at: string;
  step?: string;
  /** The compliance rule that deferred the contact: contact_window, holiday, conversation_cap... */
  rule?: string;
  until?: string;
  detail: string;
}

export interface PaymentRecord {
  at: string;
  paymentId?: string;
  amountMinor?: number;
  receivedAt?: string;
  channel?: string;
  /** received, duplicate (reported again, counted once) or rejected. */
  result: 'received' | 'duplicate' | 'rejected';
  detail: string;
}

export interface EvidencePack {
  generatedAt: string;
  /** Who exported the pack: the authenticated operator (API) or the CLI's identity (src/cli/identity.ts). */
  exportedBy: string;
  /** Present when the pack comes from the case archive (the case's history is gone from Temporal). */
  source?: 'archive';
  loanId: string;
  workflowId: string;
  /** The run the record was read from (the latest) and the first run of the case. */
  runId: string;
  firstRunId: string;
  executionStatus: string;
  openedAt: string;
  closedAt?: string;
  loan: {
    loanId: string;
    product: schemas.CaseInput['product'];
    reason: schemas.CaseInput['reason'];
    currency: string;
    amountDueMinor: number;
    overdueSince: string;
    policyId?: string;
  };
  /** Everything the bank sent; from the archive only the type and time zone (personal data is not archived). */
  debtor: Partial<schemas.Debtor> & Pick<schemas.Debtor, 'timezone'>;
  guarantors: schemas.Guarantor[];
  status: schemas.CaseStatus;
  contactAttempts: ContactAttempt[];
  /** Demand letters and lawyer's letters sent (also listed among the contact attempts). */
  letters: ContactAttempt[];
  /** Litigation filed, agency placements and recalls. */
  legal: EvidenceEvent[];
  payments: PaymentRecord[];
  /** Promises to pay, repayment plans and settlements, made, kept or broken. */
  promises: EvidenceEvent[];
  disputes: EvidenceEvent[];
  deferrals: Deferral[];
  /** Contacts skipped by a rule or for lack of details. */
  skipped: EvidenceEvent[];
  /** Everything else: opening and segment, pauses, contact updates and cease requests, collectors, rejected messages, resolution. */
  caseHandling: EvidenceEvent[];
  /** The complete business timeline, in order. */
  timeline: schemas.TimelineEvent[];
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

const CONTACT_KINDS: Partial<Record<TimelineKind, string>> = { sms_sent: 'sms', call_task_created: 'call', letter_sent: 'letter', lawyer_letter_sent: 'lawyer_letter', survey_sent: 'sms' };
const PROMISE_KINDS: ReadonlySet<TimelineKind> = new Set<TimelineKind>(['promise_made', 'plan_made', 'settlement_made', 'promise_kept', 'promise_broken', 'settlement_paid', 'written_down']);
const DISPUTE_KINDS: ReadonlySet<TimelineKind> = new Set<TimelineKind>(['dispute_raised', 'dispute_resolved']);
const LEGAL_KINDS: ReadonlySet<TimelineKind> = new Set<TimelineKind>(['litigation_filed', 'agency_placed', 'agency_recalled', 'below_litigation_threshold']);

const event = (e: schemas.TimelineEvent): EvidenceEvent => (e.data ? { at: e.at, kind: e.kind, detail: e.detail, data: e.data } : { at: e.at, kind: e.kind, detail: e.detail });

/** Sorts the timeline into the pack's sections (pure; exported for tests). */
export function classifyTimeline(timeline: schemas.TimelineEvent[]): Pick<
  EvidencePack,
  'contactAttempts' | 'letters' | 'legal' | 'payments' | 'promises' | 'disputes' | 'deferrals' | 'skipped' | 'caseHandling'
> {
  const callOutcomes = new Map<string, string>();
  for (const e of timeline) {
    const taskId = str(e.data?.taskId);
    if (e.kind === 'call_outcome' && taskId) callOutcomes.set(taskId, str(e.data?.outcome) ?? 'reported');
  }
  const sections = {
    contactAttempts: [] as ContactAttempt[],
    letters: [] as ContactAttempt[],
    legal: [] as EvidenceEvent[],
    payments: [] as PaymentRecord[],
    promises: [] as EvidenceEvent[],
    disputes: [] as EvidenceEvent[],
    deferrals: [] as Deferral[],
    skipped: [] as EvidenceEvent[],
    caseHandling: [] as EvidenceEvent[],
  };
  for (const e of timeline) {
    const data = e.data ?? {};
    const channel = CONTACT_KINDS[e.kind];
    if (channel) {
      const providerRef = str(data.providerRef);
      const outcome = e.kind === 'call_task_created' ? (providerRef && callOutcomes.get(providerRef)) || 'no outcome reported yet' : 'sent';
      const attempt: ContactAttempt = { at: e.at, channel: str(data.channel) ?? channel, step: str(data.step) ?? (e.kind === 'survey_sent' ? 'survey' : undefined), providerRef, recipient: str(data.recipient), outcome, detail: e.detail };
      sections.contactAttempts.push(attempt);
      if (e.kind === 'letter_sent' || e.kind === 'lawyer_letter_sent') sections.letters.push(attempt);
    } else if (e.kind === 'step_failed') {
      sections.contactAttempts.push({ at: e.at, step: str(data.step), outcome: 'failed', detail: e.detail });
    } else if (e.kind === 'contact_refresh_requested') {
      const contact = str(data.contact);
      sections.contactAttempts.push({ at: e.at, channel: contact === 'address' ? 'letter' : contact === 'phone' ? 'sms/call' : undefined, outcome: 'invalid contact', detail: e.detail });
    } else if (e.kind === 'call_outcome') {
      // Shown as the outcome of its call task; an outcome without a known task is kept as an attempt of its own.
      const taskId = str(data.taskId);
      if (!taskId || !timeline.some((t) => t.kind === 'call_task_created' && t.data?.providerRef === taskId)) {
        sections.contactAttempts.push({ at: e.at, channel: 'call', providerRef: taskId, outcome: str(data.outcome) ?? 'reported', detail: e.detail });
      }
    } else if (e.kind === 'contact_deferred') {
      sections.deferrals.push({ at: e.at, step: str(data.step), rule: str(data.rule), until: str(data.until), detail: e.detail });
    } else if (e.kind === 'payment_received' || e.kind === 'payment_duplicate' || e.kind === 'payment_rejected') {
      sections.payments.push({
        at: e.at,
        paymentId: str(data.paymentId),
        amountMinor: num(data.amountMinor),
        receivedAt: str(data.receivedAt),
        channel: str(data.channel),
        result: e.kind === 'payment_received' ? 'received' : e.kind === 'payment_duplicate' ? 'duplicate' : 'rejected',
        detail: e.detail,
      });
    } else if (PROMISE_KINDS.has(e.kind)) sections.promises.push(event(e));
    else if (DISPUTE_KINDS.has(e.kind)) sections.disputes.push(event(e));
    else if (LEGAL_KINDS.has(e.kind)) sections.legal.push(event(e));
    else if (e.kind === 'step_skipped' || e.kind === 'steps_skipped') sections.skipped.push(event(e));
    else sections.caseHandling.push(event(e)); // opening, segment, pauses, contact updates, collectors, resolution...
  }
  return sections;
}

/** The case's input as the bank sent it: the first event of the case's first run. */
export async function openingInput(cases: CaseService, workflowId: string, firstRunId: string): Promise<schemas.CaseInput> {
  const { client } = cases;
  const history = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId: firstRunId },
    maximumPageSize: 1,
  });
  const started = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new Error(`the history of ${workflowId} has no start event`);
  const input = await decodeFromPayloadsAtIndex<unknown>(client.options.loadedDataConverter, 0, started.input?.payloads);
  const parsed = schemas.CaseInput.safeParse(input);
  if (!parsed.success) throw new Error(`the opening input of ${workflowId} is not a valid case: ${schemas.describeZodError(parsed.error)}`);
  return parsed.data;
}

/** The pack of a case whose history is gone, from the case archive. */
export async function buildArchivedEvidence(archive: Pick<CaseArchive, 'caseRecord'>, loanId: string, exportedBy: string): Promise<EvidencePack | undefined> {
  const record = await archive.caseRecord(loanId);
  if (!record) return undefined;
  const { case: c, timeline } = record;
  const status: schemas.CaseStatus = {
    loanId: c.loanId,
    state: c.state ?? 'resolved',
    stage: c.stage ?? 'sms',
    outstandingMinor: c.outstandingMinor,
    paidMinor: c.paidMinor,
    costMinor: c.costMinor,
    currency: c.currency,
    amountDueMinor: c.amountDueMinor,
    ...(c.outcome ? { outcome: c.outcome } : {}),
    ...(c.segment ? { segment: c.segment } : {}),
    ...(c.strategy ? { strategy: c.strategy } : {}),
    brokenPromises: c.promisesBroken,
  };
  const product = schemas.CaseInput.shape.product.safeParse(c.product);
  const reason = schemas.CaseInput.shape.reason.safeParse(c.reason);
  return {
    generatedAt: new Date().toISOString(),
    exportedBy,
    source: 'archive',
    loanId: c.loanId,
    workflowId: c.workflowId,
    runId: c.runId,
    firstRunId: c.runId,
    executionStatus: c.executionStatus,
    openedAt: c.openedAt,
    closedAt: c.closedAt,
    loan: {
      loanId: c.loanId,
      product: product.success ? product.data : 'personal_loan',
      reason: reason.success ? reason.data : 'overdue',
      currency: c.currency,
      amountDueMinor: c.amountDueMinor,
      overdueSince: c.overdueSince ?? '',
      ...(c.policyId ? { policyId: c.policyId } : {}),
    },
    debtor: { timezone: c.timezone ?? 'UTC', ...(c.debtorType ? { type: c.debtorType } : {}) },
    guarantors: [],
    status,
    ...classifyTimeline(timeline),
    timeline,
  };
}

export async function buildEvidence(cases: CaseService, loanId: string, exportedBy: string, archive?: Pick<CaseArchive, 'caseRecord'>): Promise<EvidencePack> {
  const workflowId = caseWorkflowId(validate(schemas.LoanId, loanId));
  const handle = cases.client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      const archived = archive ? await buildArchivedEvidence(archive, loanId, exportedBy) : undefined;
      if (archived) return archived;
      throw new CaseError('case_not_found', `no case for loan ${loanId}`);
    }
    throw error;
  }
  const firstRunId = description.raw.workflowExecutionInfo?.firstRunId || description.runId;
  const [input, status, timeline] = await Promise.all([openingInput(cases, workflowId, firstRunId), cases.status(loanId), cases.timeline(loanId)]);
  return {
    generatedAt: new Date().toISOString(),
    exportedBy,
    loanId: input.loanId,
    workflowId,
    runId: description.runId,
    firstRunId,
    executionStatus: description.status.name,
    openedAt: timeline.find((e) => e.kind === 'case_opened')?.at ?? description.startTime.toISOString(),
    closedAt: description.closeTime?.toISOString(),
    loan: {
      loanId: input.loanId,
      product: input.product,
      reason: input.reason,
      currency: input.currency,
      amountDueMinor: input.amountDueMinor,
      overdueSince: input.overdueSince,
      ...(input.policyId ? { policyId: input.policyId } : {}),
    },
    debtor: input.debtor,
    guarantors: input.guarantors ?? [],
    status,
    ...classifyTimeline(timeline),
    timeline,
  };
}

// ---- HTML ------------------------------------------------------------------------------

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** "2026-11-28 14:03:05 GMT+8" in the debtor's time zone (falls back to the ISO text). */
function localTime(iso: string | undefined, timeZone: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset' }).formatToParts(date);
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${get('timeZoneName')}`;
  } catch {
    return iso;
  }
}

function table(headers: string[], rows: Array<Array<unknown>>, empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function facts(pairs: Array<[string, unknown]>): string {
  return `<dl>${pairs
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('')}</dl>`;
}

function address(a: schemas.Address | undefined): string | undefined {
  return a ? [a.line1, a.city, a.postalCode, a.country].filter(Boolean).join(', ') : undefined;
}

/** A printable, self-contained HTML document (no scripts, no external resources); every value is escaped. */
export function renderEvidenceHtml(pack: EvidencePack): string {
  const tz = pack.debtor.timezone;
  const money = (minor: number | undefined) => (minor === undefined ? '' : `${formatMajorUnits(minor, pack.loan.currency)} ${pack.loan.currency}`);
  const at = (iso: string | undefined) => localTime(iso, tz);
  const s = pack.status;
  const section = (title: string, content: string) => `<section><h2>${escapeHtml(title)}</h2>\n${content}\n</section>`;
  const events = (list: EvidenceEvent[], empty: string) => table(['Time', 'Event', 'Detail'], list.map((e) => [at(e.at), e.kind.replace(/_/g, ' '), e.detail]), empty);

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evidence pack: loan ${escapeHtml(pack.loanId)}</title>
<style>
  body { font: 11pt/1.4 "Helvetica Neue", Arial, "PingFang SC", "Microsoft YaHei", sans-serif; color: #111; margin: 2em; }
  h1 { font-size: 18pt; margin: 0 0 .2em; }
  h2 { font-size: 13pt; border-bottom: 1px solid #999; padding-bottom: .2em; margin-top: 1.6em; }
  .meta { color: #444; font-size: 9pt; }
  dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1.2em; margin: .5em 0; }
  dt { font-weight: bold; } dd { margin: 0; }
  table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
  th, td { border: 1px solid #bbb; padding: .25em .45em; text-align: left; vertical-align: top; }
  th { background: #eee; }
  tr { page-break-inside: avoid; }
  .empty { color: #666; font-style: italic; }
  @media print { body { margin: 1cm; } section { page-break-inside: auto; } h2 { page-break-after: avoid; } }
</style>
</head>
<body>
<header>
<h1>Collection case evidence pack &mdash; loan ${escapeHtml(pack.loanId)}</h1>
<p class="meta">Generated ${escapeHtml(pack.generatedAt)} by ${escapeHtml(pack.exportedBy)} from Temporal workflow ${escapeHtml(pack.workflowId)} (first run ${escapeHtml(pack.firstRunId)}, latest run ${escapeHtml(pack.runId)}, ${escapeHtml(pack.executionStatus.toLowerCase())}). Times are shown in the debtor's time zone, ${escapeHtml(tz)}.</p>
</header>
${section(
  'Loan',
  facts([
    ['Loan', pack.loan.loanId],
    ['Product', pack.loan.product.replace(/_/g, ' ')],
    ['Reason for collection', pack.loan.reason.replace(/_/g, ' ')],
    ['Amount due at opening', money(pack.loan.amountDueMinor)],
    ['Overdue since', pack.loan.overdueSince],
    ['Case opened', at(pack.openedAt)],
    ['Case closed', at(pack.closedAt)],
    ['Policy', pack.loan.policyId],
  ]),
)}
${section(
  'Debtor',
  facts([
    ['Name', pack.debtor.name],
    ['Type', pack.debtor.type],
    ['Customer id', pack.debtor.id],
    ['Phone', pack.debtor.phone],
    ['Email', pack.debtor.email],
    ['Address', address(pack.debtor.address)],
    ['Time zone', pack.debtor.timezone],
  ]),
)}
${section('Guarantors', table(['Name', 'Phone', 'Email', 'Address'], pack.guarantors.map((g) => [g.name, g.phone, g.email, address(g.address)]), 'No guarantors.'))}
${section(
  'Current status',
  facts([
    ['State', s.state],
    ['Stage', s.stage.replace(/_/g, ' ')],
    ['Outcome', s.outcome?.replace(/_/g, ' ')],
    ['Outstanding', money(s.outstandingMinor)],
    ['Paid', money(s.paidMinor)],
    ['Cost of collection', money(s.costMinor)],
    ['Segment / strategy', [s.segment, s.strategy].filter(Boolean).join(' / ')],
    ['Collector', s.assignee],
    ['Broken promises', s.brokenPromises],
    ['Contact stopped', s.contactStopped ? 'yes' : undefined],
  ]),
)}
${section(
  'Contact attempts',
  table(
    ['Time', 'Channel', 'Step', 'Recipient', 'Provider reference', 'Outcome', 'Detail'],
    pack.contactAttempts.map((c) => [at(c.at), c.channel?.replace(/_/g, ' '), c.step, c.recipient, c.providerRef, c.outcome.replace(/_/g, ' '), c.detail]),
    'No contact attempts.',
  ),
)}
${section(
  "Letters and lawyer's letters",
  table(['Time', 'Kind', 'Recipient', 'Reference', 'Detail'], pack.letters.map((c) => [at(c.at), c.channel === 'lawyer_letter' ? "lawyer's letter" : 'demand letter', c.recipient, c.providerRef, c.detail]), 'No letters sent.'),
)}
${section('Litigation and agency placement', events(pack.legal, 'None.'))}
${section(
  'Payments',
  table(['Recorded', 'Payment id', 'Amount', 'Received at', 'Channel', 'Result', 'Detail'], pack.payments.map((p) => [at(p.at), p.paymentId, money(p.amountMinor), at(p.receivedAt), p.channel, p.result, p.detail]), 'No payments.'),
)}
${section('Promises, plans and settlements', events(pack.promises, 'None.'))}
${section('Disputes', events(pack.disputes, 'None.'))}
${section(
  'Deferred contacts',
  table(['Time', 'Step', 'Rule', 'Deferred until', 'Detail'], pack.deferrals.map((d) => [at(d.at), d.step, d.rule?.replace(/_/g, ' '), at(d.until), d.detail]), 'No contact was deferred.'),
)}
${section('Skipped steps', events(pack.skipped, 'None.'))}
${section('Case handling', events(pack.caseHandling, 'None.'))}
${section('Complete timeline', table(['Time', 'Event', 'Detail'], pack.timeline.map((e) => [at(e.at), e.kind.replace(/_/g, ' '), e.detail]), 'Empty timeline.'))}
</body>
</html>
`;
}
