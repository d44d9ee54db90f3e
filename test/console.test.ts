import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHttpProviderGateway } from '../src/activities/http-provider-gateway';
import { CaseService } from '../src/client/case-service';
import { collectCaseRows } from '../src/client/reports';
import { sha256Hex } from '../src/client/operators';
import { findChromium } from '../scripts/tools/chromium';
import { loadPolicies } from '../src/policy/load';
import { startSandbox, type Sandbox } from '../src/sandbox/server';
import { SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';
import { createCollectionWorker } from '../src/worker';
import { apiEnv, API_TOKEN, eventually, startApi, type ApiServer } from './support/api';
import { caseInput, FAST_POLICY, quietTemporalRuntime, waitForStatus, type Harness } from './support/harness';
import { testDataConverter } from './support/payload-keys';

/**
 * The collections console in Debian's Chromium (driven by playwright-core, which downloads
 * no browser) against a real stack: the suite's Temporal dev server, a worker on the fast
 * policy, the provider sandbox and the HTTP API that serves /console.
 *
 * The cases live in a namespace of their own: the portfolio covers every case of a
 * namespace, and the suite's default namespace changes under us while other test files run,
 * so "the tiles equal `collections report --json`" could not be checked there.
 *
 * Chromium: $CHROMIUM_PATH, or `chromium` on the PATH (`apt-get install chromium`; .ci/run does).
 * CONSOLE_SCREENSHOTS=<dir> also saves the three pages as PNG (docs/console-*.png).
 */

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'bin/collections.js');
const VIEWER_TOKEN = 'console-test-viewer-token-0123';
const COLLECTOR_TOKEN = 'console-test-collector-token-0123';

const chromiumPath = findChromium();
if (!chromiumPath && process.env['CI']) throw new Error('Chromium is missing: apt-get install chromium (or set CHROMIUM_PATH)');

interface Stack extends Harness {
  namespace: string;
}

/** A namespace of our own on the suite's dev server, with the case search attributes. */
async function createNamespace(connection: Connection, namespace: string): Promise<void> {
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]])),
  });
}

async function startStack(): Promise<Stack> {
  quietTemporalRuntime();
  const address = inject('temporalAddress');
  const namespace = `console-${randomUUID().slice(0, 8)}`;
  const connection = await Connection.connect({ address });
  await createNamespace(connection, namespace);
  // The suite's data converter: payloads are encrypted with the suite's key file, as everywhere else.
  const dataConverter = testDataConverter();
  const client = new Client({ connection, namespace, dataConverter });
  // A new namespace takes a moment to reach every server cache.
  await eventually(() => client.workflow.count(`WorkflowType = 'collectionCase'`), () => true, 60_000, `namespace ${namespace}`);
  const sandbox: Sandbox = await startSandbox();
  const taskQueue = `console-${randomUUID()}`;
  const gateway = createHttpProviderGateway({ sms: sandbox.url, voice: sandbox.url, letter: sandbox.url, legal: sandbox.url, agency: sandbox.url }, { timeoutMs: 5_000 });
  const policies = loadPolicies([FAST_POLICY], { allowTestPolicies: true });
  const nativeConnection = await NativeConnection.connect({ address });
  const worker: Worker = await createCollectionWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    deps: { gateway, policies, logger: pino({ level: 'silent' }) },
    workflowBundlePath: inject('workflowBundlePath'),
    dataConverter,
  });
  const running = worker.run();
  return {
    namespace,
    dataConverter,
    client,
    cases: new CaseService(client, taskQueue, policies),
    sandbox,
    taskQueue,
    worker,
    restartWorker: () => Promise.reject(new Error('not used here')),
    withWorker: () => Promise.reject(new Error('not used here')),
    now: () => Promise.resolve(Date.now()),
    advance: () => Promise.reject(new Error('not used here: real time only')),
    async stop() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await sandbox.close();
    },
  };
}

function cliReport(stack: Stack): Promise<any> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_') && k !== 'TASK_QUEUE'));
  const env = { ...inherited, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: stack.namespace, TASK_QUEUE: stack.taskQueue, LOG_LEVEL: 'warn' };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, 'report', '--json'], { cwd: REPO, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`collections report failed: ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

const pct = (rate: number | null) => (rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`);

let stack: Stack;
let api: ApiServer;
let browser: Browser;
const loans = { paying: '', disputed: '', quiet: '' };
/** Every request the browser made, and every console error or page error it reported. */
const requests: string[] = [];
const consoleErrors: string[] = [];

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Nothing may leave the machine: record every request, and refuse any to another host.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    const { protocol, hostname } = new URL(url);
    if (protocol === 'data:' || hostname === '127.0.0.1' || hostname === 'localhost') return route.continue();
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  return { context, page };
}

async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/console`);
  await page.waitForURL(/\/console\/login$/);
  await page.getByLabel('Operator token').fill(token);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/console$/);
}

async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env['CONSOLE_SCREENSHOTS'];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `console-${name}.png`), fullPage: true });
}

describe.skipIf(!chromiumPath)('collections console in Chromium', () => {
  beforeAll(async () => {
    stack = await startStack();
    // The API's own operators: OPERATORS_FILE with a viewer and a collector, plus API_TOKEN (admin).
    const operatorsFile = path.join(mkdtempSync(path.join(tmpdir(), 'console-operators-')), 'operators.yaml');
    writeFileSync(
      operatorsFile,
      `operators:\n  - { id: viewer-1, role: viewer, tokenSha256: ${sha256Hex(VIEWER_TOKEN)} }\n  - { id: collector-1, role: collector, tokenSha256: ${sha256Hex(COLLECTOR_TOKEN)} }\n`,
    );
    api = await startApi(stack, { env: apiEnv({ TASK_QUEUE: stack.taskQueue, OPERATORS_FILE: operatorsFile }) });

    // Three cases: one pays part of its debt, one is disputed, one just runs. The paying and
    // quiet ones are then paused so the portfolio stops moving while we compare figures.
    const paying = caseInput({ amountDueMinor: 1_200_000 });
    const disputed = caseInput({ amountDueMinor: 9_500_000 });
    const quiet = caseInput({ amountDueMinor: 300_000 });
    Object.assign(loans, { paying: paying.loanId, disputed: disputed.loanId, quiet: quiet.loanId });
    for (const input of [paying, disputed, quiet]) await stack.cases.open(input);
    await stack.cases.recordPayment(paying.loanId, { paymentId: 'CONSOLE-PAY-1', amountMinor: 450_000, currency: 'CNY', receivedAt: new Date().toISOString() });
    await stack.cases.signal(disputed.loanId, 'disputeRaised', { reason: 'debtor says the loan was repaid' });
    await waitForStatus(stack, paying.loanId, (s) => s.paidMinor === 450_000);
    await waitForStatus(stack, disputed.loanId, (s) => s.state === 'disputed');
    for (const loanId of [paying.loanId, quiet.loanId]) await stack.cases.signal(loanId, 'pause', { reason: 'console test: hold still' });
    await waitForStatus(stack, paying.loanId, (s) => s.state === 'paused');
    await waitForStatus(stack, quiet.loanId, (s) => s.state === 'paused');
    // Visibility catches up with the cases' search attributes.
    await eventually(() => collectCaseRows(stack.client), ({ rows }) => rows.length === 3 && rows.some((r) => r.state === 'disputed') && rows.some((r) => (r.recoveredMinor ?? 0) > 0), 60_000, 'visibility');

    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await stack?.stop();
  });

  it('refuses an unknown token and signs in with an operator token (HttpOnly, SameSite=Strict session cookie)', async () => {
    const { context, page } = await newPage();
    await page.goto(`${api.url}/console/queue`);
    await page.waitForURL(/\/console\/login$/);
    await page.getByLabel('Operator token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toMatch(/not an operator token/);

    await signIn(page, api.url, API_TOKEN);
    await expect.poll(() => page.getByTestId('operator').textContent()).toBe('admin (admin)');
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect(cookies[0]!.value).not.toContain(API_TOKEN);
    await context.close();
  });

  it('sends a visitor without a session to sign in, and serves its pages with a self-only content policy', async () => {
    for (const path of ['/console', '/console/queue', `/console/cases/${loans.paying}`]) {
      const response = await fetch(`${api.url}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(303);
      expect(response.headers.get('location')).toBe('/console/login');
    }
    const action = await fetch(`${api.url}/console/cases/${loans.paying}/actions/pause`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'reason=x' });
    expect(action.status).toBe(303);
    expect((await stack.cases.status(loans.paying)).state).toBe('paused');
    const login = await fetch(`${api.url}/console/login`);
    expect(login.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    // The API's bearer token does not open the console: only the session does.
    const bearer = await fetch(`${api.url}/console`, { redirect: 'manual', headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(bearer.status).toBe(303);
  });

  it('shows the same KPI tiles as `collections report --json`, and draws the three charts', async () => {
    const { context, page } = await newPage();
    await signIn(page, api.url, API_TOKEN);
    const read = async () => {
      await page.goto(`${api.url}/console`);
      const tiles: Record<string, string | null> = {};
      for (const id of ['kpi-cases', 'kpi-recovery-rate', 'kpi-cost-effectiveness', 'kpi-cure-rate', 'kpi-promise-kept-rate', 'kpi-right-party-contact-rate']) tiles[id] = await page.getByTestId(id).textContent();
      const report = await cliReport(stack);
      const expected = {
        'kpi-cases': String(report.cases),
        'kpi-recovery-rate': pct(report.recoveryRate),
        'kpi-cost-effectiveness': pct(report.costEffectivenessRatio),
        'kpi-cure-rate': pct(report.cureRate),
        'kpi-promise-kept-rate': pct(report.promiseKeptRate),
        'kpi-right-party-contact-rate': pct(report.rightPartyContactRate),
      };
      return { tiles, expected };
    };
    // In-flight steps of a case may still land after its pause: compare until both agree.
    const { tiles } = await eventually(read, ({ tiles, expected }) => JSON.stringify(tiles) === JSON.stringify(expected), 60_000, 'tiles equal to the CLI report');
    expect(tiles['kpi-cases']).toBe('3');
    expect(tiles['kpi-recovery-rate']).toMatch(/^\d+\.\d%$/);

    for (const id of ['chart-funnel', 'chart-segments', 'chart-recovery-curve']) {
      const canvas = page.locator(`canvas[data-testid="${id}"]`);
      await expect.poll(() => canvas.evaluate((c: HTMLCanvasElement) => {
        const g = c.getContext('2d');
        if (!g || c.width === 0 || c.height === 0) return 0;
        const pixels = g.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted += 1;
        return painted;
      }), { message: `${id} has painted pixels` }).toBeGreaterThan(500);
    }
    await screenshot(page, 'portfolio');

    // Filters narrow the tiles: the disputed case's stage (it stays there while disputed).
    const { stage } = await stack.cases.status(loans.disputed);
    await page.locator('select[name="stage"]').selectOption(stage);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(new RegExp(`stage=${stage}`));
    const report = await cliReport(stack);
    expect(await page.getByTestId('kpi-cases').textContent()).toBe(String(report.byStage[stage].cases));
    await context.close();
  });

  it('lists the disputed case in the work queue, largest first', async () => {
    const { context, page } = await newPage();
    await signIn(page, api.url, API_TOKEN);
    await page.goto(`${api.url}/console/queue`);
    const queue = page.getByTestId('work-queue');
    const items = queue.getByTestId('queue-item');
    await expect.poll(() => items.count()).toBeGreaterThanOrEqual(1);
    const first = items.first();
    expect(await first.getAttribute('data-loan-id')).toBe(loans.disputed);
    expect(await first.textContent()).toMatch(/disputed/);
    expect(await first.textContent()).toMatch(/CN¥95,000\.00/);
    await screenshot(page, 'queue');

    // Keyboard: the case link is reachable and opens the case page.
    await first.getByRole('link').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/console/cases/${loans.disputed}$`));
    await context.close();
  });

  it('shows a case with its timeline, payments, a Temporal UI link and the actions an admin may take', async () => {
    const { context, page } = await newPage();
    await signIn(page, api.url, API_TOKEN);
    await page.goto(`${api.url}/console/cases/${loans.paying}`);
    const timeline = await stack.cases.timeline(loans.paying);
    const items = page.getByTestId('case-timeline').getByTestId('timeline-item');
    expect(await items.count()).toBeGreaterThanOrEqual(timeline.length);
    expect(await page.getByTestId('case-timeline').textContent()).toMatch(/payment received/);
    expect(await page.getByTestId('case-payments').textContent()).toMatch(/CONSOLE-PAY-1[\s\S]*CN¥4,500\.00/);
    expect(await page.getByTestId('temporal-ui-link').getAttribute('href')).toBe(`http://localhost:8233/namespaces/${stack.namespace}/workflows/collection-${loans.paying}`);
    expect(await page.getByTestId('action-button').count()).toBeGreaterThanOrEqual(4);
    await screenshot(page, 'case');

    // An action goes through the case service: resume the paused case.
    await page.getByTestId('action-resume').getByRole('button', { name: 'Resume' }).click();
    await page.waitForURL(/notice=resume/);
    await waitForStatus(stack, loans.paying, (s) => s.state !== 'paused');
    const resumed = await stack.cases.timeline(loans.paying);
    expect(resumed.find((e) => e.kind === 'resumed' || /resum/i.test(e.detail))).toBeDefined();

    // A bad amount is refused with a clear message, and nothing is sent.
    await page.goto(`${api.url}/console/cases/${loans.paying}`);
    const pay = page.getByTestId('action-pay');
    await pay.getByLabel(/Amount/).fill('12.345');
    await pay.getByLabel('Payment reference').fill('CONSOLE-PAY-2');
    await pay.getByRole('button').click();
    await expect.poll(() => page.getByTestId('action-error').textContent()).toMatch(/invalid_request: .*more than 2 decimals/);
    expect((await stack.cases.status(loans.paying)).paidMinor).toBe(450_000);
    await context.close();
  });

  it('offers a viewer no action buttons, and refuses a viewer action with 403', async () => {
    const { context, page } = await newPage();
    await signIn(page, api.url, VIEWER_TOKEN);
    await expect.poll(() => page.getByTestId('operator').textContent()).toBe('viewer-1 (viewer)');
    await page.goto(`${api.url}/console/cases/${loans.paying}`);
    expect(await page.getByTestId('case-timeline').getByTestId('timeline-item').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('case-actions').count()).toBe(0);
    expect(await page.locator('main button, main form[method="post"]').count()).toBe(0);

    const refused = await page.evaluate(async (loanId) => {
      const response = await fetch(`/console/cases/${loanId}/actions/pause`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'reason=no' });
      return response.status;
    }, loans.paying);
    expect(refused).toBe(403);
    await context.close();
  });

  it('resolve review: only a supervisor or admin may send it, with a note, and only to a case in needs_review', async () => {
    const form = (body: Record<string, string>) => ({ form: body, maxRedirects: 0 });
    const url = `${api.url}/console/cases/${loans.disputed}/actions/resolve-review`;
    // Below supervisor the route refuses (APIRequestContext: the session cookie, but no page, so no console error).
    for (const token of [VIEWER_TOKEN, COLLECTOR_TOKEN]) {
      const { context, page } = await newPage();
      await signIn(page, api.url, token);
      const refused = await context.request.post(url, form({ action: 'close', note: 'not mine to decide' }));
      expect(refused.status(), token).toBe(403);
      expect(await refused.text()).toMatch(/may not resolve review/);
      await context.close();
    }

    const { context, page } = await newPage();
    await signIn(page, api.url, API_TOKEN);
    // The disputed case waits for a dispute decision, not a review one: no form is offered...
    await page.goto(`${api.url}/console/cases/${loans.disputed}`);
    expect(await page.getByTestId('action-resolve-dispute').count()).toBe(1);
    expect(await page.getByTestId('action-resolve-review').count()).toBe(0);
    // ...and a decision posted anyway (a stale page) is refused with the reason, nothing sent.
    const noNote = await context.request.post(url, form({ action: 'close', note: ' ' }));
    expect(noNote.status()).toBe(200);
    expect(await noNote.text()).toMatch(/invalid_request: note: give a note for the decision/);
    const badAction = await context.request.post(url, form({ action: 'write-off', note: 'x' }));
    expect(await badAction.text()).toMatch(/invalid_request: action: /);
    const stale = await context.request.post(url, form({ action: 'close', note: 'closing from an old page' }));
    expect(stale.status()).toBe(200);
    expect(await stale.text()).toMatch(/not waiting for a review decision/);
    const after = await stack.cases.status(loans.disputed);
    expect(after.state).toBe('disputed');
    expect(after.outcome).toBeUndefined();
    expect((await stack.cases.timeline(loans.disputed)).some((e) => e.kind === 'review_resolved')).toBe(false);
    await context.close();
  });

  it('made no request off the machine and logged no console error', () => {
    expect(requests.length).toBeGreaterThan(10);
    const foreign = requests.filter((url) => {
      const { protocol, hostname } = new URL(url);
      return protocol !== 'data:' && hostname !== '127.0.0.1' && hostname !== 'localhost';
    });
    expect(foreign).toEqual([]);
    // The viewer's forged action above is refused with 403 on purpose, which Chromium reports as a
    // failed resource load. Nothing else may appear (refused forms answer 200 with the reason).
    const expected = (e: string) => /status of 403 \(Forbidden\)/.test(e);
    expect(consoleErrors.filter((e) => !expected(e))).toEqual([]);
    expect(consoleErrors.filter(expected)).toHaveLength(1);
  });
});
