import type { ProviderGateway } from './provider-gateway';
import { ProviderRejectedError, ProviderUnavailableError } from './provider-gateway';

export interface ProviderUrls {
  sms: string;
  voice: string;
  letter: string;
  legal: string;
  /** Third-party collection agencies; without one, placements are recorded for a manual hand-off. */
  agency?: string;
}

type Endpoint = { base: string; path: string; contact?: 'phone' | 'address' };

/**
 * HTTP adapter of the provider gateway (spec section 7). Every request carries the
 * caller's Idempotency-Key, so a retried activity is deduplicated by the provider.
 * A 422 means the phone (SMS, calls) or the address (letters) on file is wrong.
 */
export function createHttpProviderGateway(urls: ProviderUrls, options: { timeoutMs: number }): ProviderGateway {
  async function post<T>({ base, path, contact }: Endpoint, key: string, body: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, base), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new ProviderUnavailableError(`${path}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.ok) return parseBody(text) as T;
    const code = errorCode(text);
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      const invalidContact = response.status === 422 ? contact : undefined;
      throw new ProviderRejectedError(`${path} rejected with ${response.status}${code ? ` (${code})` : ''}`, response.status, code, invalidContact);
    }
    throw new ProviderUnavailableError(`${path} answered ${response.status}`, retryAfterMs(response.headers.get('retry-after')));
  }

  return {
    sendSms: (key, body) => post({ base: urls.sms, path: '/v1/sms', contact: 'phone' }, key, body),
    createCallTask: (key, body) => post({ base: urls.voice, path: '/v1/calls', contact: 'phone' }, key, body),
    sendLetter: (key, body) => post({ base: urls.letter, path: '/v1/letters', contact: 'address' }, key, body),
    sendLawyerLetter: (key, body) => post({ base: urls.legal, path: '/v1/lawyer-letters', contact: 'address' }, key, body),
    fileLitigation: (key, body) => post({ base: urls.legal, path: '/v1/litigations' }, key, body),
    placeWithAgency: async (key, body) =>
      urls.agency ? post({ base: urls.agency, path: '/v1/agency-placements' }, key, body) : { placementId: `manual:${key}` },
    recallFromAgency: async (key, body) => (urls.agency ? post({ base: urls.agency, path: '/v1/agency-recalls' }, key, body) : { recalled: true }),
  };
}

/** Success bodies are read leniently: an empty or non-JSON 2xx still counts as delivered. */
function parseBody(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : {};
  } catch {
    return {};
  }
}

/** `Retry-After` in seconds (HTTP dates are not used by our providers); capped so a bad header cannot park a step for hours. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Math.min(Number(header.trim()) * 1000, MAX_RETRY_AFTER_MS);
}

function errorCode(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}
