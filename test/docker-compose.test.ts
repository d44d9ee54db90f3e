import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ApiEnv, parseEnv, WorkerEnv } from '../src/config';
import { SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';

/**
 * Docker does not run on these machines, so the compose file is checked against the
 * code instead: services, pinned images, ports and env wiring must agree with config.
 */
interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(path.resolve(__dirname, '../docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const env = (name: string) => services[name]?.environment ?? {};
const hostPort = (address: string) => {
  const url = new URL(address.includes('://') ? address : `grpc://${address}`);
  return { host: url.hostname, port: url.port };
};
const publishes = (name: string, port: string) => (services[name]?.ports ?? []).some((p) => p.endsWith(`:${port}`));
const packageScripts = (JSON.parse(readFileSync(path.resolve(__dirname, '../package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('docker-compose.yml', () => {
  it('has the production-like stack', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'temporal-search-attributes', 'worker', 'api', 'sandbox']));
  });

  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/^[\w./-]+:\d[\w.-]*$/);
    }
    expect(services.temporal?.environment?.DB).toMatch(/^postgres/);
  });

  it('runs our services with the package scripts', () => {
    for (const [name, script] of [['worker', 'worker'], ['api', 'api'], ['sandbox', 'sandbox']] as const) {
      expect(services[name]?.command).toEqual(['npm', 'run', script]);
      expect(packageScripts[script]).toBeDefined();
    }
  });

  it('gives the worker a configuration its own validation accepts, wired to the sandbox and Temporal', () => {
    const workerEnv = parseEnv(WorkerEnv, env('worker'));
    const temporal = hostPort(workerEnv.TEMPORAL_ADDRESS);
    expect(services[temporal.host]).toBeDefined();
    expect(publishes(temporal.host, temporal.port)).toBe(true);
    for (const url of [workerEnv.SMS_PROVIDER_URL, workerEnv.VOICE_PROVIDER_URL, workerEnv.LETTER_PROVIDER_URL, workerEnv.LEGAL_PROVIDER_URL]) {
      const { host, port } = hostPort(url);
      expect(host).toBe('sandbox');
      expect(env('sandbox').SANDBOX_PORT).toBe(port);
    }
    expect(readFileSync(path.resolve(__dirname, '..', workerEnv.POLICY_FILE), 'utf8')).toContain('ladders');
  });

  it('gives the API a configuration its own validation accepts once secrets are supplied', () => {
    const apiEnv = { ...env('api'), WEBHOOK_SECRET: 'a-secret-of-sixteen+', API_TOKEN: 'a-token-of-sixteen++' };
    const parsed = parseEnv(ApiEnv, apiEnv);
    expect(publishes('api', String(parsed.PORT))).toBe(true);
    expect(env('api').WEBHOOK_SECRET).toMatch(/^\$\{WEBHOOK_SECRET:\?/);
    expect(parsed.TASK_QUEUE).toBe(parseEnv(WorkerEnv, env('worker')).TASK_QUEUE);
  });

  it('registers exactly the search attributes the workflow upserts', () => {
    const command = [services['temporal-search-attributes']?.command].flat().join(' ');
    const registered = [...command.matchAll(/--name (\w+) --type (\w+)/g)].map(([, name, type]) => `${name}=${type!.toUpperCase()}`);
    expect(registered.sort()).toEqual(SEARCH_ATTRIBUTES.map((k) => `${k.name}=${k.type}`).sort());
  });

  it('points the UI at the Temporal service', () => {
    expect(hostPort(env('temporal-ui').TEMPORAL_ADDRESS!).host).toBe('temporal');
    expect(publishes('temporal-ui', '8080')).toBe(true);
  });
});
