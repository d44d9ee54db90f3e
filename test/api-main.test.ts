import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { API_TOKEN, WEBHOOK_SECRET } from './support/api';
import { eventually } from './support/eventually';
import { tsEntryArgs } from '../scripts/tools/ts-entry';

/** `npm run api` as a process: configuration checks at start, listening, graceful shutdown. */

const ROOT = path.resolve(__dirname, '..');

interface Running {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startApiProcess(env: Record<string, string>): Running {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(API_|WEBHOOK_|TEMPORAL_|CODEC_|PORT$|HOST$|TASK_QUEUE$|PAYLOAD_KEYS_FILE$|ALLOW_TEST_POLICIES$|LOG_FORMAT$)/.test(key)));
  const child = spawn(process.execPath, tsEntryArgs('src/api/main.ts'), { cwd: ROOT, env: { ...base, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    let index;
    while ((index = stdout.indexOf('\n')) >= 0) {
      const line = stdout.slice(0, index);
      stdout = stdout.slice(index + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exited };
}

async function waitForLine(running: Running, predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const { found } = await eventually(
    () => ({ found: running.lines.find(predicate), exited: running.child.exitCode !== null }),
    ({ found, exited }) => found !== undefined || exited,
    { timeoutMs, intervalMs: 100, what: 'a matching log line' },
  ).catch(() => ({ found: undefined }));
  if (!found) throw new Error(`no matching log line; stdout ${JSON.stringify(running.lines)}; stderr ${running.stderr()}`);
  return found;
}

// Each test starts a process of its own: side by side.
describe.concurrent('npm run api', () => {
  it('refuses to start without operators (API_TOKEN or OPERATORS_FILE) unless API_DEV_MODE=true', async () => {
    const running = startApiProcess({ WEBHOOK_SECRET, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(await running.exited).toBe(1);
    expect(running.stderr()).toMatch(/no operators: set OPERATORS_FILE .* and\/or API_TOKEN/);
    expect(running.stderr()).toMatch(/API_DEV_MODE=true/);
  });

  it('refuses to start without PAYLOAD_KEYS_FILE unless ALLOW_TEST_POLICIES=true', async () => {
    const running = startApiProcess({ WEBHOOK_SECRET, API_TOKEN, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(await running.exited).toBe(1);
    expect(running.stderr()).toMatch(/PAYLOAD_KEYS_FILE is required/);
    expect(running.stderr()).toMatch(/ALLOW_TEST_POLICIES=true/);
  });

  it('refuses to start with a missing webhook secret, naming the variable', async () => {
    const running = startApiProcess({ API_TOKEN, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(await running.exited).toBe(1);
    expect(running.stderr()).toMatch(/WEBHOOK_SECRETS/);
  });

  it('in dev mode warns loudly, serves without a token and stops cleanly on SIGTERM', async () => {
    const running = startApiProcess({ WEBHOOK_SECRET, API_DEV_MODE: 'true', ALLOW_TEST_POLICIES: 'true', PORT: '0', HOST: '127.0.0.1', TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace') });
    try {
      const listening = await waitForLine(running, (l) => l.msg === 'api listening');
      expect(running.lines.some((l) => l.level === 40 && String(l.msg).includes('NOT authenticated'))).toBe(true);
      expect(running.lines.some((l) => l.level === 40 && String(l.msg).includes('payload encryption is OFF'))).toBe(true);
      const url = String(listening.url);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const unknown = await fetch(`${url}/v1/cases/NO-SUCH-LOAN-77`);
      expect(unknown.status).toBe(404);
      running.child.kill('SIGTERM');
      expect(await running.exited).toBe(0);
      expect(running.lines.some((l) => l.msg === 'api stopped')).toBe(true);
    } finally {
      if (running.child.exitCode === null) running.child.kill('SIGKILL');
    }
  });

  it('with a token requires it', async () => {
    const running = startApiProcess({ WEBHOOK_SECRET, API_TOKEN, PAYLOAD_KEYS_FILE: inject('payloadKeysFile'), PORT: '0', HOST: '127.0.0.1', TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace') });
    try {
      const url = String((await waitForLine(running, (l) => l.msg === 'api listening')).url);
      expect((await fetch(`${url}/v1/cases`)).status).toBe(401);
      expect((await fetch(`${url}/v1/cases?pageSize=1`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).status).toBe(200);
      expect(running.lines.some((l) => String(l.msg).includes('NOT authenticated'))).toBe(false);
      expect(running.lines.some((l) => String(l.msg).includes('payload encryption on'))).toBe(true);
      running.child.kill('SIGINT');
      expect(await running.exited).toBe(0);
    } finally {
      if (running.child.exitCode === null) running.child.kill('SIGKILL');
    }
  });
});
