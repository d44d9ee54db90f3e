/** What a bank's systems do against the API: open cases and deliver signed payment webhooks, over real HTTP. */
import { signatureHeader } from '../../src/api/signature';
import type { CaseInput } from '../../src/shared/schemas';
import { sampleCaseInput } from '../sample-case';
import { API_TOKEN, WEBHOOK_SECRET } from './stack';

export interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    // empty or non-JSON body
  }
  return { status: response.status, code, retryAfter: response.headers.get('retry-after') };
}

/** A network failure (the API itself unreachable) is status 0. */
async function send(url: string, init: RequestInit): Promise<Answer> {
  try {
    return await answer(await fetch(url, { ...init, signal: AbortSignal.timeout(90_000) }));
  } catch {
    return { status: 0, retryAfter: null };
  }
}

export function openCase(apiUrl: string, input: CaseInput): Promise<Answer> {
  return send(`${apiUrl}/v1/cases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
    body: JSON.stringify(input),
  });
}

export interface Payment {
  loanId: string;
  paymentId: string;
  amountMinor: number;
  currency: string;
  receivedAt: string;
}

export function pay(apiUrl: string, payment: Payment, secret = WEBHOOK_SECRET): Promise<Answer> {
  const raw = JSON.stringify(payment);
  return send(`${apiUrl}/v1/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': signatureHeader(secret, raw) },
    body: raw,
  });
}

/** A sender doing what a 503 asks: wait Retry-After, send the same payment again (a few times). */
export async function deliver(apiUrl: string, payment: Payment, secret = WEBHOOK_SECRET, attempts = 10): Promise<Answer> {
  for (let attempt = 1; ; attempt += 1) {
    const answer = await pay(apiUrl, payment, secret);
    if (answer.status !== 503 || attempt === attempts) return answer;
    await new Promise((resolve) => setTimeout(resolve, Number(answer.retryAfter ?? '5') * 1_000));
  }
}

export function health(apiUrl: string): Promise<Answer> {
  return send(`${apiUrl}/healthz`, { method: 'GET' });
}

let counter = 0;

/** A valid case on the fast policy with a unique loan id; made-up personal data. */
export function caseInput(scenario: string, overrides: Partial<CaseInput> = {}): CaseInput {
  counter += 1;
  return { ...sampleCaseInput(`CH-${scenario}-${Date.now().toString(36)}-${counter}`, `D-${counter}`), ...overrides };
}

export function fullPayment(input: CaseInput, paymentId: string): Payment {
  return { loanId: input.loanId, paymentId, amountMinor: input.amountDueMinor, currency: input.currency, receivedAt: new Date().toISOString() };
}
