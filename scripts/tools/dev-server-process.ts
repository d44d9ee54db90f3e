/**
 * Starts `temporal server start-dev` as a child process and waits until it serves the
 * namespace over gRPC. Used by `npm run temporal:server` (scripts/dev-server.ts) and
 * `npm start` (scripts/start.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';

import { Connection } from '@temporalio/client';
import { type SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';

import { ensureTemporalCli } from './temporal-cli';
import { type ToolLog, defaultToolLog, tcpPortOpen } from './tool-cache';

export interface DevServerOptions {
  /** Path to the `temporal` binary; default: ensureTemporalCli(). */
  cliPath?: string;
  /** Namespace created at launch (the "default" namespace always exists too). Default "default". */
  namespace?: string;
  /** Interface to bind gRPC and UI to. Default 127.0.0.1. */
  ip?: string;
  /** gRPC frontend port. Default 7233. */
  port?: number;
  /** Web UI port, or `false` for none (--headless). Default port + 1000. */
  uiPort?: number | false;
  /** SQLite file for persistence across restarts; its folder is created. Default: in memory. */
  dbFilename?: string;
  /** Registered with repeated `--search-attribute Name=Type` flags. */
  searchAttributes?: ReadonlyArray<SearchAttributeKey<SearchAttributeType>>;
  /** Server log level (debug|info|warn|error). Default "warn". */
  logLevel?: string;
  /** Extra CLI flags, appended last. */
  extraArgs?: readonly string[];
  /** Receives each output line; default: written through to this process's stdout/stderr. */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Run the server in its own process group, so a terminal Ctrl-C (which signals the whole
   * foreground group) does not reach it and the caller can stop it last, after the services
   * that use it. The caller must then call stop(); an exit hook kills it as a last resort.
   */
  ownProcessGroup?: boolean;
  /** How long to wait for the namespace to be served. Default 60 s. */
  readyTimeoutMs?: number;
  log?: ToolLog;
}

export interface DevServerHandle {
  /** host:port of the gRPC frontend, for TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  /** Undefined when started headless. */
  uiUrl: string | undefined;
  pid: number;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s). Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Thrown when the gRPC (or UI) port is already taken, e.g. by a dev server started elsewhere. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
    hint: string,
  ) {
    super(`Port ${port} (${what}) is already in use: something is listening there already, probably another Temporal dev server. ${hint}`);
    this.name = 'PortInUseError';
  }
}

export function searchAttributeFlags(keys: ReadonlyArray<SearchAttributeKey<SearchAttributeType>>): string[] {
  return keys.flatMap(({ name, type }) => ['--search-attribute', `${name}=${TypedSearchAttributes.toMetadataType(type)}`]);
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServerHandle> {
  const log = opts.log ?? defaultToolLog;
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort === undefined ? port + 1000 : opts.uiPort;
  const namespace = opts.namespace ?? 'default';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const address = `${ip}:${port}`;

  if (await tcpPortOpen(port, ip)) {
    throw new PortInUseError(
      port,
      'Temporal gRPC',
      `Stop that process, choose another port (TEMPORAL_DEV_PORT=...), or use that server as it is (for npm start: TEMPORAL_ADDRESS=${address}).`,
    );
  }
  if (uiPort !== false && (await tcpPortOpen(uiPort, ip))) {
    throw new PortInUseError(uiPort, 'Temporal Web UI', 'Stop that process or choose another port (TEMPORAL_UI_PORT=...).');
  }

  const cli = opts.cliPath ?? (await ensureTemporalCli(log));
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--namespace', namespace];
  args.push('--log-level', opts.logLevel ?? 'warn');
  if (uiPort === false) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (opts.dbFilename) {
    const db = path.resolve(opts.dbFilename);
    await fs.mkdir(path.dirname(db), { recursive: true });
    args.push('--db-filename', db);
  }
  args.push(...searchAttributeFlags(opts.searchAttributes ?? []));
  args.push(...(opts.extraArgs ?? []));

  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.ownProcessGroup ?? false });
  const tail: string[] = [];
  let stopRequested = false;
  const emit = (line: string, stream: 'stdout' | 'stderr'): void => {
    // While shutting down, the server's internal clients log harmless warnings (dial errors, failed polls): drop them.
    if (stopRequested && /level=WARN|network dial error|context canceled/.test(line)) return;
    tail.push(line);
    if (tail.length > 30) tail.shift();
    if (opts.onOutput) opts.onOutput(line, stream);
    else (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`);
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    const readable = child[stream];
    readable?.on('data', (buf: Buffer) => {
      const lines = (partial + buf.toString('utf8')).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) emit(line, stream);
    });
    readable?.on('end', () => {
      if (partial) emit(partial, stream);
      partial = '';
    });
  }

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      tail.push(String(err));
      exitInfo = { code: null, signal: null };
      resolve(exitInfo);
    });
  });
  // Last resort: never leave the server behind when this process exits without stopping it.
  const killOnExit = (): void => {
    if (!exitInfo) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo) return;
      stopRequested = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  try {
    await waitUntilServing(address, namespace, readyTimeoutMs, () => exitInfo, child);
  } catch (err) {
    await stop(2_000);
    const out = tail.filter((l) => l.trim()).join('\n');
    throw new Error(`${(err as Error).message}${out ? `\n--- temporal output ---\n${out}` : ''}`);
  }

  return {
    address,
    namespace,
    uiUrl: uiPort === false ? undefined : `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${uiPort}`,
    pid: child.pid ?? -1,
    exited,
    stop,
  };
}

async function waitUntilServing(
  address: string,
  namespace: string,
  timeoutMs: number,
  exitInfo: () => { code: number | null; signal: NodeJS.Signals | null } | undefined,
  child: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const ex = exitInfo();
    if (ex) throw new Error(`temporal server start-dev (pid ${child.pid}) exited early (code ${ex.code}, signal ${ex.signal})`);
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: '2s' });
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (err) {
      lastError = err;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `Temporal dev server did not serve namespace "${namespace}" on ${address} within ${Math.round(timeoutMs / 1000)} s` +
      (lastError ? ` (last error: ${(lastError as Error).message})` : ''),
  );
}
