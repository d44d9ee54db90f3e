import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { ConfigError, type TemporalEnv } from './config';
import { createDataConverter } from './data-converter';
import { loadPayloadKeys } from './payload-codec';

/** Connection options for a dev server, a self-hosted cluster (mTLS) or Temporal Cloud (API key). */
export function connectionOptions(env: TemporalEnv): { address: string; tls?: TLSConfig; apiKey?: string } {
  const tlsWanted = env.TEMPORAL_TLS ?? Boolean(env.TEMPORAL_API_KEY || env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_CA);
  const tls = tlsWanted
    ? {
        serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME,
        serverRootCACertificate: env.TEMPORAL_TLS_CA ? readFileSync(env.TEMPORAL_TLS_CA) : undefined,
        clientCertPair:
          env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY ? { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) } : undefined,
      }
    : undefined;
  return { address: env.TEMPORAL_ADDRESS, tls, apiKey: env.TEMPORAL_API_KEY };
}

export interface PayloadProtection {
  dataConverter: DataConverter;
  /** The key new payloads are encrypted with; undefined when encryption is off. */
  activeKeyId: string | undefined;
  /** One line for the start-up log: which key encrypts, or that nothing does. */
  summary: string;
}

/**
 * The data converter from PAYLOAD_KEYS_FILE. Without keys, refuses (ConfigError) unless
 * ALLOW_TEST_POLICIES=true, where payloads stay unencrypted and the summary says so loudly.
 */
export function payloadProtection(env: Pick<TemporalEnv, 'PAYLOAD_KEYS_FILE' | 'ALLOW_TEST_POLICIES'>): PayloadProtection {
  if (env.PAYLOAD_KEYS_FILE) {
    let keys;
    try {
      keys = loadPayloadKeys(env.PAYLOAD_KEYS_FILE);
    } catch (err) {
      throw new ConfigError(`invalid configuration: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { dataConverter: createDataConverter(keys), activeKeyId: keys.activeKeyId, summary: `payload encryption on (AES-256-GCM, active key "${keys.activeKeyId}", ${keys.keys.size} key(s))` };
  }
  if (env.ALLOW_TEST_POLICIES) {
    return { dataConverter: createDataConverter(undefined), activeKeyId: undefined, summary: '!!! ALLOW_TEST_POLICIES=true and no PAYLOAD_KEYS_FILE: payload encryption is OFF, debtor data goes to Temporal in clear. Never run like this with real debtors. !!!' };
  }
  throw new ConfigError('invalid configuration: PAYLOAD_KEYS_FILE is required (payload encryption keys); set ALLOW_TEST_POLICIES=true to run unencrypted on a development machine');
}

export async function connectClient(env: TemporalEnv, dataConverter: DataConverter = payloadProtection(env).dataConverter): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(env));
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter });
}
