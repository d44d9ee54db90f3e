import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ApiEnv, parseEnv, webhookSecrets, WorkerEnv } from '../src/config';
import { SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';

/**
 * Docker does not run on these machines, so the compose file is checked against the
 * code and the deployment rules instead (spec section 10, "closed by default"): only the
 * API and the UI published, on 127.0.0.1; Temporal internal; the sandbox in a profile;
 * secrets from .env with no defaults; a supported Node LTS; wiring that the code's own
 * configuration accepts.
 */
interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: Array<string | { published?: string | number; host_ip?: string; target?: number }>;
  expose?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
}
const root = path.resolve(__dirname, '..');
const composeText = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const env = (name: string) => services[name]?.environment ?? {};
const hostPort = (address: string) => {
  const url = new URL(address.includes('://') ? address : `grpc://${address}`);
  return { host: url.hostname, port: url.port };
};
const packageScripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Every published port as {hostIp, hostPort, containerPort}, from the short or long syntax. */
function published(name: string): Array<{ hostIp?: string; hostPort: string; containerPort: string }> {
  return (services[name]?.ports ?? []).map((port) => {
    if (typeof port !== 'string') return { hostIp: port.host_ip, hostPort: String(port.published), containerPort: String(port.target) };
    const parts = port.split(':');
    if (parts.length === 3) return { hostIp: parts[0], hostPort: parts[1]!, containerPort: parts[2]! };
    if (parts.length === 2) return { hostPort: parts[0]!, containerPort: parts[1]! };
    return { hostPort: parts[0]!, containerPort: parts[0]! };
  });
}

/** `${NAME...}` references in a value, and whether each has a default (`:-` or `-`). */
function interpolations(value: string): Array<{ name: string; hasDefault: boolean; required: boolean }> {
  return [...value.matchAll(/\$\{(\w+)(:?[-?+])?([^}]*)\}/g)].map(([, name, operator]) => ({
    name: name!,
    hasDefault: operator === ':-' || operator === '-' || operator === ':+' || operator === '+',
    required: operator === ':?' || operator === '?',
  }));
}

/** The variables a secret-looking key must not have in clear. */
const SECRET_KEY = /(SECRET|PASSWORD|PWD|TOKEN|API_KEY|PRIVATE)/;

/** What `docker compose` would pass once .env is filled: each ${NAME:?...} with a sample value. */
function withSecrets(values: Record<string, string>): Record<string, string> {
  const samples: Record<string, string> = {
    WEBHOOK_SECRETS: 'first-webhook-secret-000,second-webhook-secret-00',
    POSTGRES_PASSWORD: 'a-postgres-password',
    SMS_PROVIDER_URL: 'http://sandbox:4010',
    VOICE_PROVIDER_URL: 'http://sandbox:4010',
    LETTER_PROVIDER_URL: 'http://sandbox:4010',
    LEGAL_PROVIDER_URL: 'http://sandbox:4010',
    AGENCY_PROVIDER_URL: 'http://sandbox:4010',
  };
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, String(value).replace(/\$\{(\w+)[^}]*\}/g, (_all, name: string) => samples[name] ?? 'filled-in-secret')]),
  );
}

describe('docker-compose.yml: closed by default', () => {
  it('publishes only the API and the Temporal UI, and only on 127.0.0.1', () => {
    const publishing = Object.keys(services).filter((name) => published(name).length > 0);
    expect(publishing.sort()).toEqual(['api', 'temporal-ui']);
    for (const name of publishing) {
      for (const port of published(name)) expect(port.hostIp, `${name} ${JSON.stringify(port)}`).toBe('127.0.0.1');
    }
    expect(published('api').map((p) => p.containerPort)).toEqual([String(parseEnv(ApiEnv, withSecrets(env('api'))).PORT)]);
    expect(published('temporal-ui').map((p) => p.containerPort)).toEqual(['8080']);
  });

  it('keeps the Temporal frontend inside the compose network', () => {
    expect(services.temporal?.ports).toBeUndefined();
    expect(services.postgresql?.ports).toBeUndefined();
    expect(composeText).not.toMatch(/["'\s-]7233:7233/);
    // The mTLS route for a remote worker is documented.
    const deployment = readFileSync(path.join(root, 'docs/deployment.md'), 'utf8');
    expect(deployment).toMatch(/TEMPORAL_TLS_REQUIRE_CLIENT_AUTH/);
    expect(deployment).toMatch(/TEMPORAL_TLS_CERT/);
  });

  it('runs the provider sandbox only in the "sandbox" profile, unpublished, and nothing depends on it strictly', () => {
    expect(services.sandbox?.profiles).toEqual(['sandbox']);
    for (const [name, service] of Object.entries(services)) {
      if (name === 'sandbox') continue;
      expect(service.profiles, name).toBeUndefined();
      const dependency = service.depends_on?.sandbox;
      if (dependency) expect(dependency.required, `${name} depends on the sandbox`).toBe(false);
    }
  });

  it('takes every secret from .env with no default in the file, and ships .env.example naming them', () => {
    const example = readFileSync(path.join(root, '.env.example'), 'utf8');
    const exampleKeys = new Map([...example.matchAll(/^(\w+)=(.*)$/gm)].map(([, key, value]) => [key!, value!]));
    const referenced = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        const refs = interpolations(String(value));
        for (const ref of refs) {
          expect(ref.hasDefault, `${name}.${key} has a default`).toBe(false);
          expect(ref.required, `${name}.${key} must fail when ${ref.name} is unset`).toBe(true);
          referenced.add(ref.name);
        }
        if (SECRET_KEY.test(key)) expect(refs.length, `${name}.${key} is a secret in clear`).toBe(1);
      }
    }
    expect(referenced).toContain('WEBHOOK_SECRETS');
    expect(referenced).toContain('POSTGRES_PASSWORD');
    for (const name of referenced) {
      expect(exampleKeys.has(name), `.env.example names ${name}`).toBe(true);
      expect(exampleKeys.get(name), `.env.example leaves ${name} to fill in`).toMatch(/^$|^http:\/\/sandbox:4010$/);
    }
    expect(readFileSync(path.join(root, '.gitignore'), 'utf8')).toMatch(/^\.env$/m);
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toMatch(/cp \.env\.example \.env/);
  });

  it('builds on a supported Node.js LTS (22 or 24)', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const from = /^FROM\s+node:(\d+)[\w.-]*/m.exec(dockerfile);
    expect(from, 'FROM node:<version>').not.toBeNull();
    expect(['22', '24']).toContain(from![1]);
  });
});

describe('docker-compose.yml: the stack and its wiring', () => {
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

  it('gives the worker a configuration its own validation accepts, wired to Temporal inside the network', () => {
    const workerEnv = parseEnv(WorkerEnv, withSecrets(env('worker')));
    const temporal = hostPort(workerEnv.TEMPORAL_ADDRESS);
    expect(services[temporal.host]).toBeDefined();
    expect(services[temporal.host]?.expose).toContain(temporal.port);
    const sandboxUrl = new URL('http://sandbox:4010');
    expect(env('sandbox').SANDBOX_PORT).toBe(sandboxUrl.port);
    expect(readFileSync(path.resolve(root, workerEnv.POLICY_FILE), 'utf8')).toContain('ladders');
  });

  it('gives the API a configuration its own validation accepts once .env is filled, with operators and rotating webhook secrets', () => {
    const parsed = parseEnv(ApiEnv, withSecrets(env('api')));
    expect(webhookSecrets(parsed)).toHaveLength(2);
    expect(parsed.OPERATORS_FILE).toMatch(/^\/run\/collections\//);
    expect(parsed.API_TOKEN).toBeUndefined();
    expect(parsed.TASK_QUEUE).toBe(parseEnv(WorkerEnv, withSecrets(env('worker'))).TASK_QUEUE);
  });

  it('registers exactly the search attributes the workflow upserts', () => {
    const command = [services['temporal-search-attributes']?.command].flat().join(' ');
    const registered = [...command.matchAll(/--name (\w+) --type (\w+)/g)].map(([, name, type]) => `${name}=${type!.toUpperCase()}`);
    expect(registered.sort()).toEqual(SEARCH_ATTRIBUTES.map((k) => `${k.name}=${k.type}`).sort());
  });

  it('points the UI at the Temporal service', () => {
    expect(hostPort(env('temporal-ui').TEMPORAL_ADDRESS!).host).toBe('temporal');
  });
});
