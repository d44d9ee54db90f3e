/// <reference lib="dom" />
/**
 * The console's only browser script: draws the portfolio charts from the JSON the server
 * embedded in the page (`#chart-data`). Everything else is server-rendered HTML and plain
 * forms, so pages work with the keyboard and without this script.
 */
import { BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { ChartData } from '../chart-data';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Filler, Legend, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.color = '#1f2933';
Chart.defaults.font.size = 13;

const BLUE = '#1d4ed8';
const TEAL = '#0f766e';
const AMBER = '#b45309';

function canvas(testId: string): HTMLCanvasElement | null {
  return document.querySelector<HTMLCanvasElement>(`canvas[data-testid="${testId}"]`);
}

function draw(data: ChartData): void {
  const money = new Intl.NumberFormat('en', { style: 'currency', currency: data.currency ?? 'XXX', maximumFractionDigits: 0 });
  const moneyTick = (value: string | number) => (data.currency ? money.format(Number(value)) : String(value));

  const funnel = canvas('chart-funnel');
  if (funnel) {
    new Chart(funnel, {
      type: 'bar',
      data: {
        labels: data.funnel.labels,
        datasets: [
          { label: 'Cases at stage', data: data.funnel.cases, backgroundColor: BLUE, yAxisID: 'cases' },
          { label: 'Recovered in stage', data: data.funnel.recovered, backgroundColor: TEAL, yAxisID: 'money' },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: {
          cases: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'cases' }, ticks: { precision: 0 } },
          money: { type: 'linear', position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { callback: moneyTick } },
        },
      },
    });
  }

  const segments = canvas('chart-segments');
  if (segments) {
    new Chart(segments, {
      type: 'bar',
      data: {
        labels: data.segments.labels,
        datasets: [{ label: 'Recovery rate (%)', data: data.segments.recoveryPercent, backgroundColor: data.segments.kinds.map((k) => (k === 'segment' ? BLUE : AMBER)) }],
      },
      options: {
        indexAxis: 'y',
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, suggestedMax: 100, ticks: { callback: (v) => `${v}%` } } },
      },
    });
  }

  const curve = canvas('chart-recovery-curve');
  if (curve) {
    new Chart(curve, {
      type: 'line',
      data: {
        labels: data.curve.days.map(String),
        datasets: [{ label: 'Cumulative recovered', data: data.curve.cumulative, borderColor: TEAL, backgroundColor: 'rgba(15,118,110,0.15)', fill: true, stepped: true, pointRadius: 2 }],
      },
      options: {
        maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'days since the case opened' } }, y: { beginAtZero: true, ticks: { callback: moneyTick } } },
      },
    });
  }
}

const source = document.getElementById('chart-data');
if (source?.textContent) draw(JSON.parse(source.textContent) as ChartData);
