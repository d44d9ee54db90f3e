import Fastify, { LogController } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { type Logger, pino } from 'pino';
import { adminRoutes } from './admin-routes';
import type { InvalidContacts } from './contacts';
import { handleError, handleNotFound } from './errors';
import { FaultConfig, noFaults } from './faults';
import type { LedgerSnapshot } from './ledger';
import { providerRoutes } from './provider-routes';
import { SandboxState } from './state';

export { FaultConfig } from './faults';
export type { DeliveryRecord, LedgerSnapshot, RequestRecord } from './ledger';

/**
 * The provider sandbox: a real HTTP server standing in for the SMS, voice, letter,
 * legal and agency providers, recording what it receives and able to inject faults.
 */

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  faults?: Partial<FaultConfig>;
  /** Default: silent. */
  logger?: Logger;
  /** Keep the ledger in this file too and read it back at start (a sandbox that may be killed and restarted). */
  ledgerFile?: string;
}

export interface Sandbox {
  url: string;
  port: number;
  close(): Promise<void>;
  ledger(): LedgerSnapshot;
  setFaults(faults: Partial<FaultConfig>): void;
  markInvalid(contacts: { phones?: string[]; addresses?: string[] }): void;
  reset(): void;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const state = new SandboxState(FaultConfig.parse({ ...noFaults, ...opts.faults }), Math.random, opts.ledgerFile);
  const host = opts.host ?? '127.0.0.1';

  const app = Fastify({
    loggerInstance: opts.logger ?? pino({ level: 'silent' }),
    // The provider routes log one redacted line per request instead.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  await app.register(providerRoutes, { state });
  await app.register(adminRoutes, { state });
  await app.listen({ port: opts.port ?? 0, host });

  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('sandbox is not listening on a TCP port');
  const { port } = address;
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    close: () => app.close(),
    ledger: () => state.ledger.snapshot(),
    setFaults: (faults) => void state.faults.update(faults),
    markInvalid: (contacts: InvalidContacts) => state.contacts.markInvalid(contacts),
    reset: () => state.reset(),
  };
}
