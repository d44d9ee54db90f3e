import type { CaseStatus, TimelineEvent } from '../shared/schemas';
import { instant, money, words } from './format';
import { html, type Html } from './html';
import { can, type ConsoleAction, type Role } from './operators';

export interface CaseView {
  status: CaseStatus;
  timeline: TimelineEvent[];
  role: Role;
  temporalUiUrl: string;
  notice?: string;
  error?: string;
}

/** The actions that make sense for the case right now (before the role is consulted). */
export function applicableActions(status: CaseStatus): ConsoleAction[] {
  if (status.outcome !== undefined) return [];
  const actions: ConsoleAction[] = ['pay', status.state === 'paused' ? 'resume' : 'pause', 'promise', 'settle'];
  if (status.state === 'disputed') actions.push('resolve-dispute');
  if (status.state === 'needs_review') actions.push('resolve-review');
  return actions;
}

function fact(term: string, value: unknown): Html {
  return html`<div><dt>${term}</dt><dd>${value === undefined || value === '' ? '—' : value}</dd></div>`;
}

function actionForm(action: ConsoleAction, loanId: string, currency: string): Html {
  const path = `/console/cases/${encodeURIComponent(loanId)}/actions/${action}`;
  const amount = html`<label>Amount (${currency})<input name="amount" required inputmode="decimal" pattern="[0-9]+([.][0-9]+)?" autocomplete="off"></label>`;
  const forms: Record<ConsoleAction, Html> = {
    pay: html`<h3>Record a payment</h3>${amount}<label>Payment reference<input name="reference" required maxlength="128" autocomplete="off"></label>`,
    pause: html`<h3>Pause the case</h3><label>Reason<input name="reason" required maxlength="500"></label>`,
    resume: html`<h3>Resume the case</h3><label>Reason (optional)<input name="reason" maxlength="500"></label>`,
    promise: html`<h3>Promise to pay</h3>${amount}<label>Due date<input name="dueDate" type="date" required></label>`,
    settle: html`<h3>Offer a settlement</h3>${amount}<label>Valid until<input name="validUntil" type="date" required></label>`,
    'resolve-dispute': html`<h3>Resolve the dispute</h3><label>Decision<select name="upheld"><option value="false">rejected: collection resumes</option><option value="true">upheld: the case closes</option></select></label><label>Note<input name="note" maxlength="500"></label>`,
    'resolve-review': html`<h3>Resolve the review</h3><label>Decision<select name="action"><option value="retry">retry the step</option><option value="skip">skip the step</option><option value="close">close the case (cancelled)</option></select></label><label>Note<input name="note" required maxlength="1000"></label>`,
  };
  return html`<form method="post" action="${path}" data-testid="action-${action}">${forms[action]}<button class="primary" type="submit" data-testid="action-button">${BUTTON_TEXT[action]}</button></form>`;
}

const BUTTON_TEXT: Record<ConsoleAction, string> = {
  pay: 'Record payment',
  pause: 'Pause',
  resume: 'Resume',
  promise: 'Record promise',
  settle: 'Offer settlement',
  'resolve-dispute': 'Resolve dispute',
  'resolve-review': 'Resolve review',
};

export function caseBody(view: CaseView): Html {
  const { status, timeline } = view;
  const workflowUrl = `${view.temporalUiUrl}/workflows/collection-${encodeURIComponent(status.loanId)}`;
  const payments = timeline.filter((e) => e.kind === 'payment_received');
  const actions = applicableActions(status).filter((a) => can(view.role, a));
  return html`<h1>Case ${status.loanId}</h1>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${view.error ? html`<p class="error" role="alert" data-testid="action-error">${view.error}</p>` : ''}
<dl class="facts" data-testid="case-status">
  ${fact('State', html`<span data-testid="case-state">${words(status.state)}</span>`)}
  ${fact('Stage', words(status.stage))}
  ${fact('Outcome', words(status.outcome))}
  ${fact('Amount due', money(status.amountDueMinor, status.currency))}
  ${fact('Paid', money(status.paidMinor, status.currency))}
  ${fact('Outstanding', html`<span data-testid="case-outstanding">${money(status.outstandingMinor, status.currency)}</span>`)}
  ${fact('Cost of collection', money(status.costMinor, status.currency))}
  ${fact('Segment', words(status.segment))}
  ${fact('Strategy arm', words(status.strategy))}
  ${fact('Assignee', status.assignee)}
  ${fact('Next action', status.nextAction ? `${status.nextAction}${status.nextActionAt ? ` at ${instant(status.nextActionAt)}` : ''}` : undefined)}
  ${status.review ? fact('Review', html`<span data-testid="case-review">${status.review.reason}</span>`) : ''}
  ${fact('Promise', status.promise ? `${words(status.promise.kind)} of ${money(status.promise.amountMinor, status.currency)} due ${status.promise.dueDate}` : undefined)}
</dl>
<p><a href="${workflowUrl}" data-testid="temporal-ui-link" target="_blank" rel="noopener">Open the case in the Temporal UI</a></p>
${actions.length > 0 ? html`<h2>Actions</h2><section class="actions" aria-label="Actions" data-testid="case-actions">${actions.map((a) => actionForm(a, status.loanId, status.currency))}</section>` : ''}
<h2>Payments</h2>
<table data-testid="case-payments">
  <thead><tr><th scope="col">Received</th><th scope="col">Reference</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Applied</th></tr></thead>
  <tbody>
  ${payments.length === 0 ? html`<tr><td colspan="4">No payment yet.</td></tr>` : ''}
  ${payments.map((p) => {
    const d = p.data ?? {};
    const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
    return html`<tr><td>${instant(typeof d['receivedAt'] === 'string' ? d['receivedAt'] : p.at)}</td><td>${String(d['paymentId'] ?? '')}</td><td class="num">${money(num(d['amountMinor']), status.currency)}</td><td class="num">${money(num(d['appliedMinor']), status.currency)}</td></tr>`;
  })}
  </tbody>
</table>
<h2>Timeline</h2>
<ol class="timeline" data-testid="case-timeline">
  ${timeline.map((e) => html`<li data-testid="timeline-item"><time datetime="${e.at}">${instant(e.at)}</time><span>${words(e.kind)}</span><span>${e.detail}</span></li>`)}
</ol>`;
}
