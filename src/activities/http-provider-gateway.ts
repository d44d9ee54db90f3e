import type { ProviderGateway } from './provider-gateway';
import { ProviderRejectedError, ProviderUnavailableError } from './provider-gateway';

export interface ProviderUrls {
  sms: string;
  voice: string;
  letter: string;
  legal: string;
  /** Collection agencies are reached through the legal provider's host unless configured apart. */
  agency: string;
}

/**
 * HTTP adapter of the provider gateway. Every request carries the caller's
 * Idempotency-Key, so a retried activity is deduplicated by the provider.
 */
export function createHttpProviderGateway(urls: ProviderUrls, options: { timeoutMs: number }): ProviderGateway {
  async function post<T>(baseUrl: string, path: string, key: string, body: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new ProviderUnavailableError(`${path}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.ok) return JSON.parse(text) as T;
    const code = errorCode(text);
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      throw new ProviderRejectedError(`${path} rejected with ${response.status}${code ? ` (${code})` : ''}`, response.status, code);
    }
    throw new ProviderUnavailableError(`${path} answered ${response.status}`);
  }

  return {
    sendSms: (key, body) => post(urls.sms, '/v1/sms', key, body),
    createCallTask: (key, body) => post(urls.voice, '/v1/calls', key, body),
    sendLetter: (key, body) => post(urls.letter, '/v1/letters', key, body),
    sendLawyerLetter: (key, body) => post(urls.legal, '/v1/lawyer-letters', key, body),
    fileLitigation: (key, body) => post(urls.legal, '/v1/litigations', key, body),
    placeWithAgency: (key, body) => post(urls.agency, '/v1/agency-placements', key, body),
    recallFromAgency: (key, body) => post(urls.agency, '/v1/agency-recalls', key, body),
  };
}

function errorCode(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}
