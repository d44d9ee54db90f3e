import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApp, type ApiDeps } from '../../src/api/app';
import { signatureHeader } from '../../src/api/signature';
import { ApiEnv, parseEnv } from '../../src/config';
import type { Harness } from './harness';

export const API_TOKEN = 'test-token-0123456789abcdef';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** The HTTP API over a harness, listening on a free port of 127.0.0.1. */
export interface ApiServer {
  app: FastifyInstance;
  url: string;
  /** fetch with the operator token (unless `token: null`) and JSON in and out. */
  call(method: string, path: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  /** POST /v1/payments with a valid signature over exactly `raw` (override the header to test refusals). */
  pay(raw: string, options?: { signature?: string | null; timestamp?: number; secret?: string; contentType?: string }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export function apiEnv(overrides: Record<string, string | undefined> = {}): ApiEnv {
  return parseEnv(ApiEnv, { WEBHOOK_SECRET, API_TOKEN, ...overrides });
}

export async function startApi(harness: Harness, deps: Partial<ApiDeps> = {}): Promise<ApiServer> {
  const logger: Logger = deps.logger ?? pino({ level: 'silent' });
  const app = await buildApp({ cases: harness.cases, client: harness.client, env: apiEnv({ TASK_QUEUE: harness.taskQueue }), logger, payloadCodecs: harness.dataConverter.payloadCodecs ?? [], ...deps });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('api is not listening on a TCP port');
  const url = `http://127.0.0.1:${address.port}`;

  const server: ApiServer = {
    app,
    url,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? API_TOKEN : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async pay(raw, options = {}) {
      const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
      if (options.signature !== null) headers['x-signature'] = options.signature ?? signatureHeader(options.secret ?? WEBHOOK_SECRET, raw, options.timestamp);
      const response = await fetch(`${url}/v1/payments`, { method: 'POST', headers, body: raw });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    },
    close: () => app.close(),
  };
  return server;
}

/** Kept for the tests that import it from here; the helper lives in ./eventually. */
export { eventually } from './eventually';
