/**
 * `npm start` — the whole product on one machine, as child processes with prefixed output:
 *
 *   postgres  case archive, embedded (.data/postgres, port ARCHIVE_DB_PORT or 54329), unless DATABASE_URL is set
 *   temporal  dev server (.data/temporal.sqlite), unless TEMPORAL_ADDRESS names an external one
 *   sandbox   provider sandbox (src/sandbox/main.ts), waits for GET /healthz
 *   worker    src/worker.ts, waits until it polls the task queue
 *   api       src/api/main.ts, waits for GET /healthz
 *   demo      scripts/demo.ts (one-shot seeding), when that file exists
 *
 * Ctrl-C / SIGTERM stops everything in reverse order and exits 0. If a service dies on its
 * own, the rest are stopped and this exits 1 naming the culprit.
 *
 * Environment given to the children (each only when not already set):
 *   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TASK_QUEUE, POLICY_FILE=policies/fast.yaml, ALLOW_TEST_POLICIES=true,
 *   SMS_/VOICE_/LETTER_/LEGAL_/AGENCY_PROVIDER_URL = the sandbox, WEBHOOK_SECRET=dev-webhook-secret,
 *   API_TOKEN=dev-api-token-local (the API wants 16+ characters); PORT (API, default 3000,
 *   HOST 127.0.0.1) and SANDBOX_PORT (default 4010);
 *   PAYLOAD_KEYS_FILE=.data/payload-keys.json (a random dev key, created once, mode 0600);
 *   LOG_FORMAT=pretty on a terminal (the children write to pipes, so they would pick JSON).
 *
 * The web UI decodes cases through the API's /codec (`--ui-codec-endpoint`). The dev server's
 * UI cannot send a bearer token (it forwards only the access token of its own OIDC login,
 * which the dev server does not have), so this stack alone sets CODEC_ALLOW_UNAUTHENTICATED
 * for its API on 127.0.0.1, with CODEC_CORS_ORIGINS = the UI's origins.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { Connection } from '@temporalio/client';

import { DEFAULT_TASK_QUEUE } from '../src/shared/ids';
import { startArchiveDatabase } from './archive-database';
import { generatePayloadKeysFile } from '../src/payload-codec';
import { SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';
import { DEV_DB_FILE, REPO_ROOT, devServerEnv } from './dev-server';
import { type DevServerHandle, PortInUseError, startDevServer } from './tools/dev-server-process';
import { tcpPortOpen } from './tools/tool-cache';
import { tsEntryArgs } from './tools/ts-entry';

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
const DEV_WEBHOOK_SECRET = 'dev-webhook-secret';
/** The API requires at least 16 characters. */
const DEV_API_TOKEN = 'dev-api-token-local';
const DEV_PAYLOAD_KEYS_FILE = path.join(REPO_ROOT, '.data', 'payload-keys.json');
const PROVIDER_URL_VARS = ['SMS_PROVIDER_URL', 'VOICE_PROVIDER_URL', 'LETTER_PROVIDER_URL', 'LEGAL_PROVIDER_URL', 'AGENCY_PROVIDER_URL'] as const;

// ---------- output ----------

const useColor = Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'];
const COLORS: Record<string, number> = { start: 1, temporal: 35, sandbox: 36, worker: 33, api: 32, demo: 34 };
const LABEL_WIDTH = 8;

function prefix(name: string): string {
  const label = `[${name}]`.padEnd(LABEL_WIDTH + 2);
  return useColor ? `\x1b[${COLORS[name] ?? 0}m${label}\x1b[0m` : label;
}

function say(message: string): void {
  process.stdout.write(`${prefix('start')} ${message}\n`);
}

function pipeLines(name: string, stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream): void {
  if (!stream) return;
  let partial = '';
  stream.on('data', (buf: Buffer) => {
    const lines = (partial + buf.toString('utf8')).split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const line of lines) out.write(`${prefix(name)} ${line}\n`);
  });
  stream.on('end', () => {
    if (partial) out.write(`${prefix(name)} ${partial}\n`);
  });
}

// ---------- children ----------

interface Service {
  name: string;
  /** Long-running services must not exit on their own; one-shot steps may. */
  oneShot: boolean;
  stop(graceMs: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
}

const services: Service[] = [];
let shuttingDown = false;

function spawnTs(name: string, file: string, env: NodeJS.ProcessEnv, oneShot = false): Service & { child: ChildProcess } {
  // One process per service (no tsx CLI relay in between), so signals reach the service directly.
  // Same loader as the npm scripts.
  const child = spawn(process.execPath, tsEntryArgs(file), {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  pipeLines(name, child.stdout, process.stdout);
  pipeLines(name, child.stderr, process.stderr);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      done = true;
      process.stderr.write(`${prefix(name)} failed to spawn: ${err.message}\n`);
      resolve({ code: null, signal: null });
    });
  });
  const service = {
    name,
    oneShot,
    child,
    exited,
    running: () => !done,
    stop: async (graceMs: number) => {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!done) {
          say(`${name} did not stop within ${graceMs / 1000} s; killing it`);
          child.kill('SIGKILL');
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  services.push(service);
  watch(service);
  return service;
}

function adoptDevServer(server: DevServerHandle): void {
  let done = false;
  const exited = server.exited.then((x) => {
    done = true;
    return x;
  });
  const service: Service = { name: 'temporal', oneShot: false, exited, running: () => !done, stop: (g) => server.stop(g) };
  services.push(service);
  watch(service);
}

function watch(service: Service): void {
  void service.exited.then(({ code, signal }) => {
    if (shuttingDown || service.oneShot) return;
    void shutdown(1, `${service.name} exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}); stopping the rest`);
  });
}

async function shutdown(exitCode: number, reason: string): Promise<never> {
  if (shuttingDown) return new Promise<never>(() => undefined);
  shuttingDown = true;
  say(reason);
  for (const service of [...services].reverse()) {
    if (!service.running()) continue;
    say(`stopping ${service.name}...`);
    await service.stop(STOP_GRACE_MS);
  }
  say(exitCode === 0 ? 'all stopped' : 'stopped; exiting with an error');
  process.exit(exitCode);
}

let firstSignalAt = 0;
function onSignal(signal: NodeJS.Signals): void {
  // `tsx` (npm start's runner) relays a signal it also received as a group member, so one Ctrl-C
  // often arrives twice within a few ms: only a later one means "force".
  if (firstSignalAt && Date.now() - firstSignalAt < 1_500) return;
  if (firstSignalAt) {
    say(`${signal} again: killing everything now`);
    for (const s of services) if (s.running()) void s.stop(0);
    process.exit(1);
  }
  firstSignalAt = Date.now();
  void shutdown(0, `${signal} received: stopping services in reverse order (press Ctrl-C again to force)`);
}

// ---------- readiness ----------

async function waitFor(what: string, service: Service | undefined, check: () => Promise<boolean>, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (shuttingDown) return new Promise<void>(() => undefined); // shutdown() will exit
    if (service && !service.running()) throw new Error(`${service.name} exited before ${what}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.ok;
}

/** True once a worker that started after `since` polls the workflow task queue. */
async function workerPolling(address: string, namespace: string, taskQueue: string, since: number): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: '2s' });
  try {
    const res = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    return (res.pollers ?? []).some((p) => {
      const s = p.lastAccessTime?.seconds;
      const ms = s == null ? 0 : Number(s) * 1000 + Math.floor((p.lastAccessTime?.nanos ?? 0) / 1e6);
      return ms >= since - 1_000;
    });
  } finally {
    await connection.close();
  }
}

function portEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw ? Number(raw) : fallback;
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`${name} must be a TCP port number, got "${raw}"`);
  return n;
}

async function requireFreePort(port: number, what: string, envName: string): Promise<void> {
  if (await tcpPortOpen(port)) {
    throw new Error(`port ${port} (${what}) is already in use, perhaps by another \`npm start\`; stop it or set ${envName}`);
  }
}

// ---------- main ----------

/** The dev stack's payload key: created once, kept with the dev server's database (cases stay readable across restarts). */
function ensureDevPayloadKeys(): string {
  if (!existsSync(DEV_PAYLOAD_KEYS_FILE)) {
    mkdirSync(path.dirname(DEV_PAYLOAD_KEYS_FILE), { recursive: true });
    writeFileSync(DEV_PAYLOAD_KEYS_FILE, `${JSON.stringify(generatePayloadKeysFile('dev-1'), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    say(`created a development payload key in ${path.relative(REPO_ROOT, DEV_PAYLOAD_KEYS_FILE)} (never use it for real debtors)`);
  }
  return DEV_PAYLOAD_KEYS_FILE;
}

async function main(): Promise<void> {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const sandboxPort = portEnv('SANDBOX_PORT', 4010);
  const apiPort = portEnv('PORT', 3000);
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  for (const file of ['src/sandbox/main.ts', 'src/worker.ts', 'src/api/main.ts']) {
    if (!existsSync(path.join(REPO_ROOT, file))) throw new Error(`${file} is missing; cannot start the stack`);
  }
  await requireFreePort(sandboxPort, 'provider sandbox', 'SANDBOX_PORT');
  await requireFreePort(apiPort, 'API', 'PORT');

  // 0. The case archive's database; stopped last, after everything that writes to it.
  const archiveDb = await startArchiveDatabase(say);
  if (archiveDb) {
    let up = true;
    services.push({ name: 'postgres', oneShot: false, exited: new Promise(() => undefined), running: () => up, stop: async () => void (await archiveDb.stop(), (up = false)) });
  }

  // 1. Temporal
  const namespace = process.env['TEMPORAL_NAMESPACE'] || 'default';
  let address = process.env['TEMPORAL_ADDRESS'];
  let uiUrl: string | undefined = process.env['TEMPORAL_UI_URL'];
  let uiOrigins: string[] = uiUrl ? [new URL(uiUrl).origin] : [];
  if (address) {
    say(`TEMPORAL_ADDRESS=${address}: using that Temporal server (not starting a dev server)`);
  } else {
    const { port, uiPort } = devServerEnv();
    say(`starting the Temporal dev server on 127.0.0.1:${port} (state in ${path.relative(REPO_ROOT, DEV_DB_FILE)})`);
    const server = await startDevServer({
      namespace,
      port,
      uiPort,
      dbFilename: DEV_DB_FILE,
      searchAttributes: SEARCH_ATTRIBUTES,
      // The UI reads cases decoded through the API's codec endpoint (started below).
      extraArgs: ['--ui-codec-endpoint', `${apiUrl}/codec`],
      ownProcessGroup: true, // so a terminal Ctrl-C leaves it to us, to stop it last
      onOutput: (line, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(`${prefix('temporal')} ${line}\n`),
      log: (m) => process.stdout.write(`${prefix('temporal')} ${m}\n`),
    });
    adoptDevServer(server);
    address = server.address;
    uiUrl = server.uiUrl;
    uiOrigins = [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`];
    say(`Temporal ready at ${address}`);
  }
  const taskQueue = process.env['TASK_QUEUE'] || DEFAULT_TASK_QUEUE;

  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, TASK_QUEUE: taskQueue };
  env['POLICY_FILE'] ||= 'policies/fast.yaml';
  // The demo runs on the fast policy, which is test-only (spec section 9).
  env['ALLOW_TEST_POLICIES'] ||= 'true';
  env['WEBHOOK_SECRET'] ||= DEV_WEBHOOK_SECRET;
  env['API_TOKEN'] ||= DEV_API_TOKEN;
  if (archiveDb) env['DATABASE_URL'] = archiveDb.url;
  // Encrypted like production (the fast policy's ALLOW_TEST_POLICIES would otherwise let it run in clear).
  env['PAYLOAD_KEYS_FILE'] ||= ensureDevPayloadKeys();
  env['LOG_FORMAT'] ||= process.stdout.isTTY ? 'pretty' : 'json';
  for (const name of PROVIDER_URL_VARS) {
    if (env[name]) say(`note: ${name}=${env[name]} is set in your environment and is used instead of the sandbox`);
    env[name] ||= sandboxUrl;
  }

  // 2. Provider sandbox
  const sandbox = spawnTs('sandbox', 'src/sandbox/main.ts', { ...env, SANDBOX_PORT: String(sandboxPort) });
  await waitFor(`the sandbox at ${sandboxUrl}/healthz`, sandbox, () => httpOk(`${sandboxUrl}/healthz`));
  say('sandbox ready');

  // 3. Worker
  const workerStarted = Date.now();
  const worker = spawnTs('worker', 'src/worker.ts', env);
  await waitFor(`the worker to poll task queue "${taskQueue}"`, worker, () => workerPolling(address, namespace, taskQueue, workerStarted));
  say('worker polling');

  // 4. API
  const apiHost = env['HOST'] || '127.0.0.1';
  const apiEnv: NodeJS.ProcessEnv = { ...env, PORT: String(apiPort), HOST: apiHost };
  apiEnv['CODEC_CORS_ORIGINS'] ||= uiOrigins.join(',');
  // Only on loopback: anyone who reaches an open /codec reads every case in clear.
  if (apiHost === '127.0.0.1' || apiHost === 'localhost') apiEnv['CODEC_ALLOW_UNAUTHENTICATED'] ||= 'true';
  const api = spawnTs('api', 'src/api/main.ts', apiEnv);
  await waitFor(`the API at ${apiUrl}/healthz`, api, () => httpOk(`${apiUrl}/healthz`));
  say('API ready');

  // 5. Demo data (optional, one-shot)
  if (existsSync(path.join(REPO_ROOT, 'scripts/demo.ts'))) {
    say('seeding demo cases (scripts/demo.ts)');
    const demo = spawnTs('demo', 'scripts/demo.ts', { ...env, API_URL: apiUrl, SANDBOX_URL: sandboxUrl }, true);
    const { code, signal } = await demo.exited;
    if (shuttingDown) return;
    if (code !== 0) say(`warning: the demo seeding step failed (${signal ? `signal ${signal}` : `exit code ${code}`}); the services keep running`);
  } else {
    say('no scripts/demo.ts: skipping demo seeding');
  }

  const lines = [
    '',
    '  Collections orchestrator is running.',
    `  Temporal UI      ${uiUrl ?? `(external server at ${address}; set TEMPORAL_UI_URL to show its UI here)`}`,
    `  API              ${apiUrl}   (API_TOKEN=${env['API_TOKEN'] === DEV_API_TOKEN ? DEV_API_TOKEN : '<as set>'}, WEBHOOK_SECRET=${env['WEBHOOK_SECRET'] === DEV_WEBHOOK_SECRET ? DEV_WEBHOOK_SECRET : '<as set>'})`,
    `  Sandbox ledger   ${sandboxUrl}/admin/ledger`,
    `  Case archive     ${archiveDb ? `${archiveDb.url}   (export DATABASE_URL=... for the CLI)` : 'DATABASE_URL as set'}`,
    `  Codec            ${apiUrl}/codec   (temporal workflow show --codec-endpoint ${apiUrl}/codec --codec-auth "Bearer <API_TOKEN>")`,
    `  Temporal         ${address}  namespace ${namespace}, task queue ${taskQueue}`,
    '',
    '  Ctrl-C to stop everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  const message = err instanceof PortInUseError || err instanceof Error ? err.message : String(err);
  void shutdown(1, `failed to start: ${message}`);
});
