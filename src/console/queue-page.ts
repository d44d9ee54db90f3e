import { instant, money, words } from './format';
import { html, type Html } from './html';
import type { QueueItem, QueueReason } from './work-queue';

const REASON_TEXT: Record<QueueReason, string> = {
  needs_review: 'needs review',
  disputed: 'disputed',
  promise_due: 'promise due',
  open_call_task: 'open call task',
};

export function queueBody(items: QueueItem[]): Html {
  return html`<h1>Work queue</h1>
<p class="muted">Open cases that need a person, largest outstanding first, then oldest.</p>
<table data-testid="work-queue">
  <thead><tr><th scope="col">Loan</th><th scope="col">Why</th><th scope="col" class="num">Outstanding</th><th scope="col">Stage</th><th scope="col">State</th><th scope="col">Opened</th></tr></thead>
  <tbody>
  ${items.length === 0 ? html`<tr><td colspan="6">Nothing needs a person right now.</td></tr>` : ''}
  ${items.map(
    (item) => html`<tr data-testid="queue-item" data-loan-id="${item.loanId}">
      <td><a href="/console/cases/${encodeURIComponent(item.loanId)}">${item.loanId}</a></td>
      <td>${item.reasons.map((r) => html`<span class="badge${r === 'disputed' || r === 'needs_review' ? ' bad' : ''}">${REASON_TEXT[r]}</span>`)}${item.promiseDueDate ? html` <span class="muted">due ${item.promiseDueDate}</span>` : ''}</td>
      <td class="num">${money(item.outstandingMinor, item.currency)}</td>
      <td>${words(item.stage)}</td>
      <td>${words(item.state)}</td>
      <td>${instant(item.openedAt)}</td>
    </tr>`,
  )}
  </tbody>
</table>`;
}
