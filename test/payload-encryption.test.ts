import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTemporalCli } from '../scripts/tools/temporal-cli';
import { buildApp } from '../src/api/app';
import { createLogger } from '../src/logger';
import { CaseService } from '../src/client/case-service';
import { sha256Hex } from '../src/client/operators';
import { createDataConverter } from '../src/data-converter';
import { generatePayloadKeysFile, METADATA_KEY_ID, payloadKeysFrom } from '../src/payload-codec';
import { caseWorkflowId } from '../src/shared/ids';
import { statusQuery } from '../src/shared/messages';
import { API_TOKEN, apiEnv, startApi, type ApiServer } from './support/api';
import { caseInput, startHarness, waitForStatus, waitForTimeline, type Harness } from './support/harness';

/**
 * Spec section 10: payloads are encrypted (AES-256-GCM, key ids, rotation), the API serves
 * Temporal's remote codec at /codec, and only a caller with a token reads cases in clear.
 */

const UI_ORIGIN = 'http://localhost:8233';

/** A debtor whose every personal field is distinctive enough to search for in raw output. */
function personalCase() {
  const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
  const pii = {
    name: `Zhao Xiaoming ${tag}`,
    phone: `+86138${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
    email: `zhao.${tag.toLowerCase()}@example.cn`,
    line1: `88 Private Lane ${tag}`,
    id: `DBT-${tag}-4471`,
  };
  const input = caseInput({ debtor: { id: pii.id, name: pii.name, phone: pii.phone, email: pii.email, address: { line1: pii.line1, city: 'Shanghai', country: 'CN' } } });
  return { input, pii: Object.values(pii) };
}

/**
 * The CLI's JSON output keeps payload data base64: this returns the output plus the decoded
 * text of every json/plain payload, so a value hidden in base64 is found as well.
 */
function readable(output: string): string {
  const texts: string[] = [output];
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const { metadata, data } = node as { metadata?: { encoding?: unknown }; data?: unknown };
    if (typeof metadata?.encoding === 'string' && Buffer.from(metadata.encoding, 'base64').toString() === 'json/plain' && typeof data === 'string') {
      texts.push(Buffer.from(data, 'base64').toString('utf8'));
    }
    for (const value of Object.values(node)) walk(value);
  };
  walk(JSON.parse(output));
  return texts.join('\n');
}

describe('payload encryption and the codec endpoint', () => {
  let h: Harness;
  let api: ApiServer;
  let cli: string;

  const VIEWER_TOKEN = 'viewer-token-0123456789abcdef';
  const COLLECTOR_TOKEN = 'collector-token-0123456789abcdef';

  beforeAll(async () => {
    const operatorsFile = path.join(mkdtempSync(path.join(tmpdir(), 'codec-operators-')), 'operators.yaml');
    writeFileSync(
      operatorsFile,
      `operators:\n  - { id: wang.fang, role: viewer, tokenSha256: ${sha256Hex(VIEWER_TOKEN)} }\n  - { id: li.wei, role: collector, tokenSha256: ${sha256Hex(COLLECTOR_TOKEN)} }\n`,
    );
    h = await startHarness();
    api = await startApi(h, { env: apiEnv({ TASK_QUEUE: h.taskQueue, CODEC_CORS_ORIGINS: UI_ORIGIN, OPERATORS_FILE: operatorsFile }) });
    cli = await ensureTemporalCli();
  });
  afterAll(async () => {
    await api?.close();
    await h?.stop();
  });

  const temporal = async (...args: string[]): Promise<string> =>
    (await promisify(execFile)(cli, [...args, '--address', inject('temporalAddress'), '--namespace', inject('temporalNamespace')], { maxBuffer: 32 * 1024 * 1024 })).stdout;

  it('the stock CLI shows only ciphertext without a codec, and the debtor in clear with --codec-endpoint', { timeout: 120_000 }, async () => {
    const { input, pii } = personalCase();
    await h.cases.open(input);
    // Workflow input, local activity results, an SMS activity input (the phone) and its result.
    await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'sms_sent'), 60_000);
    const workflowId = caseWorkflowId(input.loanId);

    const raw = readable(await temporal('workflow', 'show', '--workflow-id', workflowId, '--output', 'json'));
    expect(raw).toContain('YmluYXJ5L2VuY3J5cHRlZA=='); // base64 of "binary/encrypted"
    for (const value of pii) expect(raw, `history without a codec must not contain ${value}`).not.toContain(value);
    // Memo and search attributes are not encrypted by a codec: nothing personal may be in them (nor in the workflow ID).
    const described = readable(await temporal('workflow', 'describe', '--workflow-id', workflowId, '--output', 'json'));
    for (const value of pii) expect(described).not.toContain(value);

    const decoded = readable(await temporal('workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--codec-endpoint', `${api.url}/codec`, '--codec-auth', `Bearer ${API_TOKEN}`));
    for (const value of pii) expect(decoded, `history through the codec shows ${value}`).toContain(value);
    await h.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('answers 401 without a token or with a wrong one, and round-trips with one', async () => {
    const body = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"name":"Wang Fang"}').toString('base64') }] };
    for (const token of [null, 'wrong-token-0123456789']) {
      const refused = await api.call('POST', '/codec/decode', { body, token, headers: { 'x-namespace': 'default' } });
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('unauthorized');
    }
    const encoded = await api.call('POST', '/codec/encode', { body, headers: { 'x-namespace': 'default' } });
    expect(encoded.status).toBe(200);
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(JSON.stringify(encoded.body)).not.toContain(Buffer.from('Wang Fang').toString('base64').slice(0, 8));
    const decoded = await api.call('POST', '/codec/decode', { body: encoded.body, headers: { 'x-namespace': 'default' } });
    expect(decoded.status).toBe(200);
    expect(decoded.body).toEqual(body);

    const garbage = await api.call('POST', '/codec/decode', { body: { payloads: [{ ...encoded.body.payloads[0], data: Buffer.from('x'.repeat(40)).toString('base64') }] } });
    expect(garbage.status).toBe(400);
    expect(garbage.body.error.code).toBe('invalid_request');
  });

  it('opens /codec without a token only when CODEC_ALLOW_UNAUTHENTICATED=true on loopback (npm start)', async () => {
    const deps = { cases: h.cases, client: h.client, logger: createLogger('test', { level: 'silent' }), payloadCodecs: h.dataConverter.payloadCodecs ?? [] };
    await expect(buildApp({ ...deps, env: apiEnv({ CODEC_ALLOW_UNAUTHENTICATED: 'true', HOST: '0.0.0.0' }) })).rejects.toThrow(/loopback/);
    const open = await buildApp({ ...deps, env: apiEnv({ CODEC_ALLOW_UNAUTHENTICATED: 'true', HOST: '127.0.0.1' }) });
    try {
      const decoded = await open.inject({ method: 'POST', url: '/codec/decode', payload: { payloads: [] } });
      expect(decoded.statusCode).toBe(200);
      // Every other operator route still needs the token.
      expect((await open.inject({ method: 'GET', url: '/v1/cases' })).statusCode).toBe(401);
    } finally {
      await open.close();
    }
  });

  it('answers 403 forbidden for a viewer and decodes for a collector (OPERATORS_FILE roles)', async () => {
    const body = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"name":"Wang Fang"}').toString('base64') }] };
    const encoded = await api.call('POST', '/codec/encode', { body, token: COLLECTOR_TOKEN });
    expect(encoded.status).toBe(200);
    for (const direction of ['decode', 'encode']) {
      const refused = await api.call('POST', `/codec/${direction}`, { body: direction === 'decode' ? encoded.body : body, token: VIEWER_TOKEN });
      expect(refused.status, direction).toBe(403);
      expect(refused.body).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('collector') } });
      expect(JSON.stringify(refused.body)).not.toContain('Wang Fang');
    }
    const decoded = await api.call('POST', '/codec/decode', { body: encoded.body, token: COLLECTOR_TOKEN });
    expect(decoded.status).toBe(200);
    expect(decoded.body).toEqual(body);
  });

  it('answers a CORS preflight from CODEC_CORS_ORIGINS with the headers the web UI sends, and no other origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${api.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
      });
    const allowed = await preflight(UI_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');

    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // Other routes are not opened to browsers.
    const cases = await fetch(`${api.url}/v1/cases`, { method: 'OPTIONS', headers: { origin: UI_ORIGIN, 'access-control-request-method': 'GET' } });
    expect(cases.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('processes without keys', () => {
  it('the collections CLI refuses to run without PAYLOAD_KEYS_FILE unless ALLOW_TEST_POLICIES=true, and says encryption is off then', { timeout: 60_000 }, async () => {
    const bin = path.resolve(__dirname, '../bin/collections.js');
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|PAYLOAD_KEYS_FILE$|ALLOW_TEST_POLICIES$|LOG_)/.test(k)));
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [bin, 'status', 'NO-SUCH-LOAN-404'], { env: { ...base, TEMPORAL_ADDRESS: inject('temporalAddress'), ...env } }, (error, _stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
        );
      });
    const refused = await run({});
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/PAYLOAD_KEYS_FILE is required/);
    // Past the configuration check, it reaches Temporal: the case does not exist (exit 3).
    const unencrypted = await run({ ALLOW_TEST_POLICIES: 'true' });
    expect(unencrypted.code, unencrypted.stderr).toBe(3);
    expect(unencrypted.stderr).toMatch(/payload encryption is OFF/);
  });
});

describe('key rotation', () => {
  const k1 = generatePayloadKeysFile('rot-k1');
  const k2 = generatePayloadKeysFile('rot-k2');
  const underK1 = createDataConverter(payloadKeysFrom(k1));
  const underK2 = createDataConverter(payloadKeysFrom({ active: 'rot-k2', keys: { ...k1.keys, ...k2.keys } }));
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ dataConverter: underK1 });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a case started under k1 decodes and runs on after k2 becomes active; its history holds both key ids', { timeout: 120_000 }, async () => {
    const input = caseInput({ amountDueMinor: 8_000_000 });
    await h.cases.open(input);
    await waitForTimeline(h, input.loanId, (t) => t.some((e) => e.kind === 'sms_sent'), 60_000);

    // Deploy: the worker restarts with {k1, k2}, k2 active; clients move to the same key file.
    await h.restartWorker({ dataConverter: underK2 });
    const client = new Client({ connection: h.client.connection, namespace: inject('temporalNamespace'), dataConverter: underK2 });
    const rotated = { ...h, client, cases: new CaseService(client, h.taskQueue, h.cases.policies) };
    await rotated.cases.recordPayment(input.loanId, { paymentId: 'ROT-1', amountMinor: 100_000, currency: 'CNY', receivedAt: new Date().toISOString() });
    const status = await waitForStatus(rotated, input.loanId, (s) => s.paidMinor === 100_000 && s.stage !== 'sms', 60_000);
    expect(status.outstandingMinor).toBe(7_900_000);

    const history = await client.workflow.getHandle(caseWorkflowId(input.loanId)).fetchHistory();
    const keyIds = new Set<string>();
    const walk = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      const metadata = (node as { metadata?: Record<string, Uint8Array> }).metadata;
      if (metadata?.[METADATA_KEY_ID]) keyIds.add(Buffer.from(metadata[METADATA_KEY_ID]).toString('utf8'));
      for (const value of Object.values(node)) if (!(value instanceof Uint8Array)) walk(value);
    };
    walk(history);
    expect([...keyIds].sort()).toEqual(['rot-k1', 'rot-k2']);

    // A process still holding only k1 cannot read what k2 wrote.
    await expect(h.client.workflow.getHandle(caseWorkflowId(input.loanId)).query(statusQuery)).rejects.toThrow(/rot-k2/);
    await client.workflow.getHandle(caseWorkflowId(input.loanId)).terminate('test done');
  });
});
