/**
 * Shared plumbing for the dev/test tool installers (Temporal CLI, time-skipping test server):
 * the per-user cache folder, a cross-process build lock, atomic installs and small
 * process helpers. Node built-ins only, so it works before anything else is set up.
 */
import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';

/** Where progress messages go. Defaults to stderr so test runners and scripts both show it. */
export type ToolLog = (message: string) => void;

export const defaultToolLog: ToolLog = (message) => {
  process.stderr.write(`[tools] ${message}\n`);
};

/** `${XDG_CACHE_HOME || ~/.cache}/collections-orchestrator` */
export function toolCacheRoot(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'collections-orchestrator');
}

export async function fileExists(p: string): Promise<boolean> {
  try {
    await fs.access(p, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export async function isExecutableFile(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return false;
    await fs.access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable called `name` on PATH, or undefined. */
export async function findOnPath(name: string): Promise<string | undefined> {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing output (never throws for a non-zero exit). */
export function runCapture(
  file: string,
  args: readonly string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      {
        timeout: opts.timeoutMs ?? 30_000,
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        maxBuffer: 16 * 1024 * 1024,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        let code: number | null = 0;
        if (error) {
          const c = (error as NodeJS.ErrnoException & { code?: unknown }).code;
          code = typeof c === 'number' ? c : null;
          if (code === 0) code = null;
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr || (error && code === null ? error.message : '')) });
      },
    );
  });
}

/**
 * Runs a long command (a build), relaying its output line by line to `log`, prefixed.
 * Rejects on a non-zero exit with the last lines of output in the message.
 */
export function runStreaming(
  file: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; log: ToolLog; prefix: string; timeoutMs: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const onData = (buf: Buffer): void => {
      // eslint-disable-next-line no-control-regex
      for (const line of buf.toString('utf8').replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/)) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        opts.log(`${opts.prefix} ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${path.basename(file)} ${args.join(' ')} failed (${signal ? `signal ${signal}` : `exit ${code}`})` +
              (signal === 'SIGKILL' ? ` after the ${Math.round(opts.timeoutMs / 60_000)} min limit` : '') +
              `:\n${tail.join('\n')}`,
          ),
        );
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockOwner {
  pid: number;
  host: string;
  since: number;
}

/**
 * Cross-process mutual exclusion through an O_EXCL lock file. A lock whose owner process
 * is gone (same host) or that is older than `staleMs` is taken over, so a build killed
 * half-way never blocks the next run for ever.
 */
export async function withFileLock<T>(
  lockPath: string,
  what: string,
  log: ToolLog,
  fn: () => Promise<T>,
  opts: { staleMs?: number; waitMs?: number } = {},
): Promise<T> {
  const staleMs = opts.staleMs ?? 60 * 60_000;
  const waitMs = opts.waitMs ?? 60 * 60_000;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      const owner: LockOwner = { pid: process.pid, host: os.hostname(), since: Date.now() };
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: Partial<LockOwner> = {};
    try {
      owner = JSON.parse(await fs.readFile(lockPath, 'utf8')) as Partial<LockOwner>;
    } catch {
      // Being written right now, or garbage: judge by age below.
    }
    const st = await fs.stat(lockPath).catch(() => undefined);
    if (!st) continue; // released between our open and stat
    const sameHost = owner.host === os.hostname();
    const dead = sameHost && typeof owner.pid === 'number' && !pidAlive(owner.pid);
    const old = Date.now() - st.mtimeMs > staleMs;
    if (dead || old) {
      log(`removing stale lock ${lockPath} (${dead ? `process ${owner.pid} is gone` : 'too old'})`);
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (!announced) {
      log(`waiting for another process (pid ${owner.pid ?? '?'}) that is ${what} (lock ${lockPath})`);
      announced = true;
    }
    if (Date.now() - started > waitMs) {
      throw new Error(`gave up waiting for ${lockPath} after ${Math.round(waitMs / 60_000)} min; delete it if no build is running`);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

/** A fresh scratch folder next to `finalDir`, on the same file system so `rename` is atomic. */
export async function makeStagingDir(finalDir: string): Promise<string> {
  await fs.mkdir(path.dirname(finalDir), { recursive: true });
  const dir = await fs.mkdtemp(path.join(path.dirname(finalDir), `.${path.basename(finalDir)}.staging-`));
  await fs.chmod(dir, 0o755); // mkdtemp makes it 0700; it may become the installed folder itself
  return dir;
}

/** A TCP port that was free a moment ago on 127.0.0.1 (racy by nature; fine for dev/test). */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not allocate a free port'))));
    });
  });
}

/** True when something accepts TCP connections on host:port right now. */
export function tcpPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
