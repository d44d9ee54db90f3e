/**
 * The real stack a chaos scenario runs against, every piece killable:
 * - a Temporal dev server (its own SQLite file, free port) that can be `kill -9`ed and
 *   restarted on the same database;
 * - workers as child processes (`src/worker.ts`, fast policy), killed with SIGKILL or
 *   stopped with SIGTERM, restarted by a supervisor when they die unasked;
 * - the provider sandbox (in process: it plays the outside world and keeps the ledger);
 * - the HTTP API (in process, its own Temporal client), on a free port;
 * - the case archive on an embedded PostgreSQL that can be stopped and started again;
 * - payload encryption on, as in production: a key made for the run, shared by all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app';
import { lazyTemporalClient } from '../../src/api/temporal-deadline';
import { CaseService } from '../../src/client/case-service';
import { loadPolicies } from '../../src/policy/load';
import { ApiEnv, parseEnv } from '../../src/config';
import { createDataConverter } from '../../src/data-converter';
import { generatePayloadKeysFile, payloadKeysFrom } from '../../src/payload-codec';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { CaseArchive } from '../../src/archive/case-archive';
import { workflowBundlerOptions } from '../../src/workflow-bundle';
import { type DevServerHandle, startDevServer } from '../tools/dev-server-process';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../tools/embedded-postgres';
import { quietBundlerLogger } from '../tools/ephemeral-dev-server';
import { ensureTemporalCli } from '../tools/temporal-cli';
import { tsEntryArgs } from '../tools/ts-entry';

export const REPO_ROOT = path.resolve(__dirname, '../..');
const WORKER_ENTRY = path.join(REPO_ROOT, 'src/worker.ts');
const FAST_POLICY = path.join(REPO_ROOT, 'policies/fast.yaml');
export const API_TOKEN = 'chaos-api-token-0123456789';
export const WEBHOOK_SECRET = 'chaos-webhook-secret-0123456789';
/** Low enough that a busy case (scenario 10) crosses continue-as-new several times. */
const SUGGEST_CONTINUE_AS_NEW_AFTER_EVENTS = 2_000;

export type Log = (message: string) => void;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The Temporal dev server, on one port and one SQLite file for its whole life. */
export class TemporalServer {
  private handle: DevServerHandle | undefined;
  kills = 0;

  private constructor(
    private readonly cliPath: string,
    readonly port: number,
    private readonly dbFile: string,
    private readonly log: Log,
  ) {}

  static async start(cliPath: string, dir: string, log: Log): Promise<TemporalServer> {
    const server = new TemporalServer(cliPath, await freePort(), path.join(dir, 'temporal.sqlite'), log);
    await server.up();
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.handle = await startDevServer({
      cliPath: this.cliPath,
      port: this.port,
      uiPort: false,
      dbFilename: this.dbFile,
      searchAttributes: SEARCH_ATTRIBUTES,
      logLevel: 'error',
      extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AFTER_EVENTS}`],
      onOutput: () => undefined,
      readyTimeoutMs: 120_000,
      log: this.log,
    });
  }

  /** `kill -9`: no shutdown, whatever was in flight is cut. */
  async kill9(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    this.handle = undefined;
    process.kill(handle.pid, 'SIGKILL');
    await handle.exited;
    this.kills += 1;
  }

  async stop(): Promise<void> {
    await this.handle?.stop(5_000);
    this.handle = undefined;
  }
}

export interface WorkerOptions {
  taskQueue: string;
  maxCachedWorkflows?: number;
}

interface WorkerSlot {
  child: ChildProcess;
  ready: Promise<void>;
  /** Set before a kill or stop we asked for, so the supervisor does not restart it. */
  expectedExit: boolean;
  exited: Promise<void>;
}

/** Worker processes on one task queue; one that dies unasked is restarted (what a process supervisor does). */
export class WorkerPool {
  private readonly slots: WorkerSlot[] = [];
  private closing = false;
  kills = 0;
  unexpectedExits = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Log,
    private readonly logDir: string,
  ) {}

  get size(): number {
    return this.slots.length;
  }

  /** Starts one more worker; resolves once it polls. */
  async add(): Promise<number> {
    const index = this.slots.length;
    this.slots.push(this.spawn(index));
    await this.slots[index]!.ready;
    return index;
  }

  private spawn(index: number): WorkerSlot {
    const child = spawn(process.execPath, tsEntryArgs(WORKER_ENTRY), { cwd: REPO_ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Every worker's output goes to a log file in the run's folder, for a look after a failure.
    const logFile = createWriteStream(path.join(this.logDir, `worker-${index}-${child.pid}.log`));
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
    let resolveReady!: () => void;
    let rejectReady!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => undefined);
    let stderrTail = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('"worker started"')) resolveReady();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2_000);
    });
    const slot: WorkerSlot = {
      child,
      ready,
      expectedExit: false,
      exited: new Promise<void>((resolve) =>
        child.once('exit', (code, signal) => {
          rejectReady(new Error(`worker exited before it started (code ${code}, signal ${signal}): ${stderrTail}`));
          resolve();
          if (!slot.expectedExit && !this.closing) {
            this.unexpectedExits += 1;
            this.log(`worker ${index} exited unasked (code ${code}, signal ${signal}); restarting it`);
            this.slots[index] = this.spawn(index);
          }
        }),
      ),
    };
    return slot;
  }

  /** SIGKILL, then a fresh worker in the same slot. */
  async kill9AndRestart(index: number): Promise<void> {
    const slot = this.slots[index]!;
    slot.expectedExit = true;
    slot.child.kill('SIGKILL');
    await slot.exited;
    this.kills += 1;
    this.slots[index] = this.spawn(index);
    await this.slots[index]!.ready;
  }

  /** SIGTERM (the worker drains its in-flight tasks), then a fresh worker in the same slot. */
  async restartGracefully(index: number): Promise<void> {
    const slot = this.slots[index]!;
    slot.expectedExit = true;
    slot.child.kill('SIGTERM');
    await slot.exited;
    this.slots[index] = this.spawn(index);
    await this.slots[index]!.ready;
  }

  /** Waits for every slot's current worker to poll (after a server restart, say). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.ready.catch(() => undefined)));
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.expectedExit = true;
        slot.child.kill('SIGKILL');
        await slot.exited;
      }),
    );
  }
}

export interface Api {
  url: string;
  app: FastifyInstance;
}

export interface Stack {
  dir: string;
  /** The run's payload codec (AES-256-GCM), e.g. to decrypt a history before storing it. */
  dataConverter: DataConverter;
  /** The case archive's database (the workers write to it) and a reader of it. */
  database: EmbeddedPostgresHandle;
  archive: CaseArchive;
  server: TemporalServer;
  sandbox: Sandbox;
  client: Client;
  workflowBundlePath: string;
  /** A pool of `workers` worker processes and an API on a task queue of the scenario's own. */
  scenario(options: { workers: number; maxCachedWorkflows?: number }): Promise<ScenarioStack>;
  /** @param keepFiles leave the run's folder (worker logs, SQLite database) in place, e.g. after a failure. */
  close(keepFiles?: boolean): Promise<void>;
}

export interface ScenarioStack {
  taskQueue: string;
  workers: WorkerPool;
  api: Api;
  cases: CaseService;
  /** A new API process (in process, new port) with these environment variables on top of the scenario's. */
  restartApi(env: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** @param prebundled a workflow bundle already built (the test suite's); otherwise one is built here. */
export async function startStack(log: Log, prebundled?: string): Promise<Stack> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'collections-chaos-'));
  const workflowBundlePath = prebundled ?? path.join(dir, 'workflow-bundle.js');
  if (!prebundled) {
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(REPO_ROOT, 'src/workflows/index.ts'), ...workflowBundlerOptions, logger: quietBundlerLogger(log) });
    await fs.writeFile(workflowBundlePath, code);
  }
  const server = await TemporalServer.start(await ensureTemporalCli(log), dir, log);
  log(`Temporal dev server at ${server.address} (SQLite in ${dir})`);
  const sandbox = await startSandbox({ port: 0 });
  const database = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), log });
  const archive = await CaseArchive.open(database.url, { log: () => undefined });
  const keys = generatePayloadKeysFile('chaos-1');
  const keysFile = path.join(dir, 'payload-keys.json');
  await fs.writeFile(keysFile, JSON.stringify(keys), { mode: 0o600 });
  const dataConverter = createDataConverter(payloadKeysFrom(keys));
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default', dataConverter });

  return {
    dir,
    dataConverter,
    database,
    archive,
    server,
    sandbox,
    client,
    workflowBundlePath,
    async scenario({ workers: count, maxCachedWorkflows }) {
      const taskQueue = `chaos-${randomUUID()}`;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: 'default',
        TASK_QUEUE: taskQueue,
        POLICY_FILE: FAST_POLICY,
        ALLOW_TEST_POLICIES: 'true',
        PAYLOAD_KEYS_FILE: keysFile,
        DATABASE_URL: database.url,
        SMS_PROVIDER_URL: sandbox.url,
        VOICE_PROVIDER_URL: sandbox.url,
        LETTER_PROVIDER_URL: sandbox.url,
        LEGAL_PROVIDER_URL: sandbox.url,
        AGENCY_PROVIDER_URL: sandbox.url,
        WORKFLOW_BUNDLE_PATH: workflowBundlePath,
        WORKER_MAX_CACHED_WORKFLOWS: maxCachedWorkflows === undefined ? '' : String(maxCachedWorkflows),
        LOG_LEVEL: 'info',
      };
      const workers = new WorkerPool(env, log, dir);
      for (let i = 0; i < count; i += 1) await workers.add();
      const cases = new CaseService(client, taskQueue, loadPolicies([FAST_POLICY], { allowTestPolicies: true }));
      const startApi = async (overrides: Record<string, string>): Promise<Api> => {
        const apiEnv = parseEnv(ApiEnv, { WEBHOOK_SECRET, API_TOKEN, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default', TASK_QUEUE: taskQueue, PAYLOAD_KEYS_FILE: keysFile, ...overrides });
        // Warnings and errors (an unexpected 5xx, say) go to the run's folder, next to the workers' logs.
        const logger = pino({ level: 'warn' }, pino.destination({ dest: path.join(dir, `api-${taskQueue}.log`), sync: true }));
        // The API's own client, as `npm run api` connects it (lazily, with its short gRPC retry budget).
        const apiClient = lazyTemporalClient(apiEnv, dataConverter, logger);
        const app = await buildApp({ cases: new CaseService(apiClient, taskQueue, cases.policies), client: apiClient, env: apiEnv, logger, payloadCodecs: dataConverter.payloadCodecs, archive });
        app.addHook('onClose', () => apiClient.connection.close());
        await app.listen({ port: 0, host: '127.0.0.1' });
        const { port } = app.server.address() as net.AddressInfo;
        return { url: `http://127.0.0.1:${port}`, app };
      };
      const scenarioStack: ScenarioStack = {
        taskQueue,
        workers,
        cases,
        api: await startApi({}),
        async restartApi(env) {
          await scenarioStack.api.app.close();
          scenarioStack.api = await startApi(env);
        },
        async close() {
          await scenarioStack.api.app.close();
          await workers.close();
        },
      };
      return scenarioStack;
    },
    async close(keepFiles = false) {
      await connection.close().catch(() => undefined);
      await archive.close().catch(() => undefined);
      await database.stop().catch(() => undefined);
      await sandbox.close();
      await server.stop();
      if (keepFiles) log(`kept ${dir} (worker logs, Temporal database) for a look`);
      else await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
