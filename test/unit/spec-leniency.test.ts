import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpProviderGateway } from '../../src/activities/http-provider-gateway';
import { ProviderRejectedError } from '../../src/activities/provider-gateway';
import { CaseInput } from '../../src/shared/schemas';

/**
 * Integrations written from the spec alone: the spec fixes the routes and status codes,
 * not every body shape, so what it leaves open is read leniently.
 */
describe('case input shapes the spec leaves open', () => {
  const base = {
    loanId: 'L-1',
    product: 'personal_loan',
    reason: 'overdue',
    currency: 'CNY',
    amountDueMinor: 100,
    overdueSince: '2026-11-01',
    debtor: { id: 'D', type: 'individual', name: 'Wang Fang', timezone: 'Asia/Shanghai' },
  };

  it('accepts an address as one line of text and guarantors as bare names', () => {
    const parsed = CaseInput.parse({ ...base, debtor: { ...base.debtor, address: '1 Debtor Street, Shanghai' }, guarantors: ['Li Na', { name: 'Zhao Lei', address: '2 Road' }] });
    expect(parsed.debtor.address).toEqual({ line1: '1 Debtor Street, Shanghai' });
    expect(parsed.guarantors).toEqual([{ name: 'Li Na' }, { name: 'Zhao Lei', address: { line1: '2 Road' } }]);
    // Parsing the parsed value again (as the workflow does) gives the same case.
    expect(CaseInput.parse(parsed)).toEqual(parsed);
  });

  it('still refuses an empty address', () => {
    expect(CaseInput.safeParse({ ...base, debtor: { ...base.debtor, address: '  ' } }).success).toBe(false);
  });
});

describe('the HTTP provider gateway against a provider with its own error bodies', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/v1/sms' || req.url === '/v1/letters') {
        res.writeHead(422, { 'content-type': 'text/plain' }).end('Unprocessable: bad recipient');
      } else if (req.url === '/v1/litigations') {
        res.writeHead(422).end();
      } else {
        res.writeHead(201).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const gateway = () => createHttpProviderGateway({ sms: url, voice: url, letter: url, legal: url }, { timeoutMs: 2000 });

  it('reads a 422 on SMS as a wrong phone and on letters as a wrong address, whatever the body', async () => {
    await expect(gateway().sendSms('k1', { to: '+8613800138000', template: 't', params: {} })).rejects.toMatchObject({ status: 422, invalidContact: 'phone' });
    await expect(gateway().sendLetter('k2', { recipient: { name: 'x' }, address: { line1: 'y' }, template: 't', params: {} })).rejects.toMatchObject({ invalidContact: 'address' });
    const filing = gateway().fileLitigation('k3', { loanId: 'L', debtor: {}, guarantors: [], amountMinor: 1, currency: 'CNY', evidence: {} });
    await expect(filing).rejects.toBeInstanceOf(ProviderRejectedError);
    await expect(filing).rejects.toMatchObject({ invalidContact: undefined });
  });

  it('takes an empty 2xx as delivered', async () => {
    await expect(gateway().createCallTask('k4', { to: '+8613800138000', debtorRef: 'D', assignee: 'c', script: 's', params: {} })).resolves.toEqual({});
  });

  it('records an agency placement for a manual hand-off when no agency provider is configured', async () => {
    await expect(gateway().placeWithAgency('collection-L/2026-11-01/agency-1', { loanId: 'L', debtorRef: 'D', amountMinor: 1, currency: 'CNY' })).resolves.toEqual({
      placementId: 'manual:collection-L/2026-11-01/agency-1',
    });
  });
});
