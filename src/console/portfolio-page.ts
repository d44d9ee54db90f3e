import type { Report } from '../client/reports';
import { Stage } from '../shared/schemas';
import type { ChartData } from './chart-data';
import { percent, words } from './format';
import { html, jsonScript, type Html } from './html';

export interface PortfolioFilters {
  segment?: string;
  strategy?: string;
  stage?: string;
  currency?: string;
}

export interface PortfolioView {
  report: Report;
  filters: PortfolioFilters;
  options: { segments: string[]; strategies: string[] };
  charts: ChartData;
  curveNote?: string;
}

function select(name: keyof PortfolioFilters, text: string, values: readonly string[], chosen: string | undefined): Html {
  return html`<label>${text}
    <select name="${name}">
      <option value="">all</option>
      ${values.map((v) => html`<option value="${v}"${v === chosen ? html` selected` : ''}>${words(v)}</option>`)}
    </select></label>`;
}

function tile(testId: string, text: string, value: string, hint: string): Html {
  return html`<div class="tile"><div class="label">${text}</div><div class="value" data-testid="${testId}" title="${hint}">${value}</div></div>`;
}

function chart(testId: string, title: string, description: string): Html {
  return html`<figure class="chart"><figcaption><h2>${title}</h2></figcaption>
    <div class="plot"><canvas data-testid="${testId}" role="img" aria-label="${description}"></canvas></div></figure>`;
}

export function portfolioBody(view: PortfolioView): Html {
  const { report, filters } = view;
  return html`<h1>Portfolio</h1>
<form class="filters" method="get" action="/console" aria-label="Filters">
  ${select('segment', 'Segment', view.options.segments, filters.segment)}
  ${select('strategy', 'Strategy arm', view.options.strategies, filters.strategy)}
  ${select('stage', 'Stage', Stage.options, filters.stage)}
  ${filters.currency ? html`<input type="hidden" name="currency" value="${filters.currency}">` : ''}
  <button class="primary" type="submit">Apply</button>
  <a href="/console">Clear</a>
</form>
<section class="tiles" aria-label="Key figures">
  ${tile('kpi-cases', 'Cases', String(report.cases), 'open and closed')}
  ${tile('kpi-recovery-rate', 'Recovery rate', percent(report.recoveryRate), 'recovered / amount due at opening')}
  ${tile('kpi-cost-effectiveness', 'Cost-effectiveness', percent(report.costEffectivenessRatio), 'cost of collection / recovered')}
  ${tile('kpi-cure-rate', 'Cure rate', percent(report.cureRate), 'cases paid in full / cases')}
  ${tile('kpi-promise-kept-rate', 'Promise-kept rate', percent(report.promiseKeptRate), 'kept / judged promises')}
  ${tile('kpi-right-party-contact-rate', 'Right-party contact', percent(report.rightPartyContactRate), 'cases where a collector spoke with the debtor')}
</section>
<section class="charts" aria-label="Charts">
  ${chart('chart-funnel', 'Stage funnel', 'Cases at each stage and the amount recovered while cases were in it')}
  ${chart('chart-segments', 'Recovery by segment and strategy arm', 'Recovery rate of each segment and each strategy arm')}
  ${chart('chart-recovery-curve', 'Recovery curve', 'Cumulative amount recovered by days since the case opened')}
</section>
${view.curveNote ? html`<p class="muted">${view.curveNote}</p>` : ''}
${jsonScript('chart-data', view.charts)}`;
}

/** A portfolio in several currencies: money is reported one currency at a time. */
export function currencyPrompt(reason: string): Html {
  return html`<h1>Portfolio</h1>
<p class="error" role="alert">${reason}</p>
<form class="filters" method="get" action="/console" aria-label="Currency">
  <label>Currency (ISO 4217)<input name="currency" required pattern="[A-Z]{3}" maxlength="3" autocomplete="off"></label>
  <button class="primary" type="submit">Show</button>
</form>`;
}
