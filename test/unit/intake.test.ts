import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseError, type CaseService } from '../../src/client/case-service';
import { importRows, IntakeError, parseIntakeCsv, REQUIRED_COLUMNS, rowToCaseInput } from '../../src/client/intake';
import type { CaseInput } from '../../src/shared/schemas';

const SAMPLES = path.resolve(__dirname, '../../samples');
const HEADER =
  'loanId,product,reason,debtorId,debtorType,debtorName,phone,email,addressLine1,city,postalCode,country,timezone,currency,amountDue,overdueSince,guarantorNames,guarantorPhones';
const GOOD = 'L-1,personal_loan,overdue,C-1,individual,Wang Fang,+8613800138000,wf@example.cn,1 Debtor Street,Shanghai,200001,CN,Asia/Shanghai,CNY,80000.00,2026-11-01,,';

const csv = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;

describe('parseIntakeCsv: the sample files', () => {
  it('accepts every row of the demo portfolio', async () => {
    const { rows, rejected } = await parseIntakeCsv(readFileSync(path.join(SAMPLES, 'overdue-portfolio.csv')));
    expect(rejected).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(35);
    expect(new Set(rows.map((r) => r.input.loanId)).size).toBe(rows.length);
    expect(rows.some((r) => r.input.debtor.type === 'corporate')).toBe(true);
    expect(rows.some((r) => (r.input.guarantors?.length ?? 0) >= 2)).toBe(true);
    expect(rows.every((r) => r.input.currency === 'CNY')).toBe(true);
    // Chinese names survive UTF-8 decoding; quoted commas stay inside the cell.
    expect(rows.find((r) => r.input.loanId === 'PL-2026-000101')?.input.debtor.name).toBe('王芳');
    expect(rows.find((r) => r.input.loanId === 'CL-2026-000201')?.input.debtor.name).toBe('Shanghai Hengda Trading Co., Ltd.');
    expect(rows.find((r) => r.input.loanId === 'CL-2026-000213')?.input.debtor.name).toBe('Ningbo "Sea Star" Fisheries Co., Ltd.');
  });

  it('reports each bad row with its line number and reason, and keeps the good ones', async () => {
    const { rows, rejected } = await parseIntakeCsv(readFileSync(path.join(SAMPLES, 'bad-rows.csv')));
    expect(rows.map((r) => [r.row, r.input.loanId])).toEqual([
      [2, 'BAD-OK-001'],
      [8, 'BAD-OK-007'], // a quoted address over two lines (8 and 9)
    ]);
    const byRow = Object.fromEntries(rejected.map((r) => [r.row, r]));
    expect(Object.keys(byRow).map(Number)).toEqual([3, 4, 5, 6, 7, 10, 11, 12, 13, 14]);
    expect(byRow[3]).toEqual({ row: 3, loanId: 'BAD-002', reason: 'debtorName: required' });
    expect(byRow[4]?.reason).toBe('amountDue "-150.00": must be greater than 0');
    expect(byRow[5]?.reason).toBe('currency "XYZ": an unknown ISO 4217 currency');
    expect(byRow[6]?.reason).toMatch(/^timezone "Mars\/Olympus_Mons": an IANA time zone/);
    expect(byRow[7]).toEqual({ row: 7, loanId: undefined, reason: 'loanId: required' });
    expect(byRow[10]?.reason).toMatch(/amountDue: "12.345" has more than 2 decimals for CNY/);
    expect(byRow[11]?.reason).toMatch(/product "mortgage"/);
    expect(byRow[11]?.reason).toMatch(/overdueSince "2026\/11\/20": expected a date as YYYY-MM-DD/);
    expect(byRow[12]?.reason).toBe('duplicate loanId: already on line 2');
    expect(byRow[13]?.reason).toMatch(/20 cells but the header has 19/);
    expect(byRow[14]?.reason).toBe('amountDue: required');
  });
});

describe('parseIntakeCsv: format', () => {
  it('maps a row to a CaseInput with exact minor units and absent empty cells', async () => {
    const { rows, rejected } = await parseIntakeCsv(csv(HEADER, GOOD));
    expect(rejected).toEqual([]);
    expect(rows).toEqual([
      {
        row: 2,
        input: {
          loanId: 'L-1',
          product: 'personal_loan',
          reason: 'overdue',
          debtor: {
            id: 'C-1',
            type: 'individual',
            name: 'Wang Fang',
            phone: '+8613800138000',
            email: 'wf@example.cn',
            address: { line1: '1 Debtor Street', city: 'Shanghai', postalCode: '200001', country: 'CN' },
            timezone: 'Asia/Shanghai',
          },
          currency: 'CNY',
          amountDueMinor: 8_000_000,
          overdueSince: '2026-11-01',
        } satisfies CaseInput,
      },
    ]);
    expect(Object.keys(rows[0]!.input)).not.toContain('guarantors');
    expect(Object.keys(rows[0]!.input)).not.toContain('policyId');
  });

  it('tolerates a BOM, LF line ends, blank lines and a header in any column order and case', async () => {
    const reordered = 'OVERDUESINCE,amountdue,currency,timezone,debtorName,debtorType,debtorId,reason,product,loanId';
    const text = `\ufeff${reordered}\n\n2026-11-01,0.29,CNY,Asia/Shanghai,Li Na,individual,C-2,overdue,credit_card,L-2\n\n`;
    const { rows, rejected } = await parseIntakeCsv(text);
    expect(rejected).toEqual([]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.row).toBe(3);
    expect(rows[0]?.input.amountDueMinor).toBe(29);
    expect(rows[0]?.input.debtor.phone).toBeUndefined();
  });

  it('ignores unknown extra columns', async () => {
    const { rows, rejected } = await parseIntakeCsv(csv(`${HEADER},branch,officer`, `${GOOD},Pudong,"Zhou, Li"`));
    expect(rejected).toEqual([]);
    expect(rows[0]?.input).not.toHaveProperty('branch');
  });

  it('splits guarantor columns on ";" keeping phones aligned with names', async () => {
    const row = GOOD.replace(/,,$/, ',"Chen Wei; Wang Li ;Zhao Yun","+8613900000001;;+8613900000003"');
    const { rows, rejected } = await parseIntakeCsv(csv(HEADER, row));
    expect(rejected).toEqual([]);
    expect(rows[0]?.input.guarantors).toEqual([{ name: 'Chen Wei', phone: '+8613900000001' }, { name: 'Wang Li' }, { name: 'Zhao Yun', phone: '+8613900000003' }]);
  });

  it('rejects guarantor phones without names', async () => {
    const row = GOOD.replace(/,,$/, ',Chen Wei,+8613900000001;+8613900000002');
    const { rejected } = await parseIntakeCsv(csv(HEADER, row));
    expect(rejected[0]?.reason).toBe('guarantorPhones: 2 values but guarantorNames has 1');
  });

  it('counts lines of quoted cells that span several lines (CRLF inside quotes too)', async () => {
    const multi = GOOD.replace('1 Debtor Street', '"Room 1\r\n2 Debtor Street\r\nBuilding 3"');
    const { rows } = await parseIntakeCsv(csv(HEADER, multi, GOOD.replace('L-1', 'L-9')));
    expect(rows.map((r) => r.row)).toEqual([2, 5]);
    expect(rows[0]?.input.debtor.address?.line1).toBe('Room 1\r\n2 Debtor Street\r\nBuilding 3');
  });

  it('reports a row with an unterminated quote and keeps the rows before it', async () => {
    const { rows, rejected } = await parseIntakeCsv(csv(HEADER, GOOD, GOOD.replace('L-1', 'L-2').replace('Wang Fang', '"Wang Fang')));
    expect(rows.map((r) => r.input.loanId)).toEqual(['L-1']);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.row).toBe(3);
    expect(rejected[0]?.reason).toMatch(/^malformed CSV: /);
  });

  it('reports a row with a stray quote and goes on with the next rows', async () => {
    const stray = GOOD.replace('L-1', 'L-2').replace('Wang Fang', '"Wang" Fang');
    const { rows, rejected } = await parseIntakeCsv(csv(HEADER, GOOD, stray, GOOD.replace('L-1', 'L-3')));
    expect(rows.map((r) => [r.row, r.input.loanId])).toEqual([
      [2, 'L-1'],
      [4, 'L-3'],
    ]);
    expect(rejected).toEqual([{ row: 3, reason: expect.stringMatching(/^malformed CSV: Invalid Closing Quote/) }]);
  });

  it('refuses a file that is not UTF-8 (a GBK export)', async () => {
    const gbk = Buffer.concat([Buffer.from(`${HEADER}\r\nL-1,personal_loan,overdue,C-1,individual,`), Buffer.from([0xcd, 0xf5, 0xb7, 0xbc]), Buffer.from(',,,,,,,,Asia/Shanghai,CNY,1.00,2026-11-01,,\r\n')]);
    await expect(parseIntakeCsv(gbk)).rejects.toThrow(/not valid UTF-8/);
  });

  it('treats missing trailing cells as empty optional values', async () => {
    const short = 'L-3,personal_loan,overdue,C-3,individual,Wu Lei,,,,,,,Asia/Shanghai,CNY,10.00,2026-11-01';
    const { rows, rejected } = await parseIntakeCsv(csv(HEADER, short));
    expect(rejected).toEqual([]);
    expect(rows[0]?.input.guarantors).toBeUndefined();
  });

  it('refuses a file without the required columns, naming them', async () => {
    await expect(parseIntakeCsv(csv('loanId,product,amountDue', 'L-1,personal_loan,1.00'))).rejects.toThrow(
      /lacks required columns: reason, debtorId, debtorType, debtorName, timezone, currency, overdueSince/,
    );
    await expect(parseIntakeCsv('')).rejects.toBeInstanceOf(IntakeError);
    await expect(parseIntakeCsv(csv(`${HEADER},loanid`, GOOD))).rejects.toThrow(/names column "loanId" twice/);
    expect(REQUIRED_COLUMNS).toHaveLength(10);
  });

  it('sets the policy of every case when asked', async () => {
    const { rows } = await parseIntakeCsv(csv(HEADER, GOOD), { policyId: 'default' });
    expect(rows[0]?.input.policyId).toBe('default');
  });
});

describe('rowToCaseInput: validation', () => {
  const base = {
    loanId: 'L-1',
    product: 'corporate_loan',
    reason: 'overdue',
    debtorId: 'E-1',
    debtorType: 'corporate',
    debtorName: 'Acme Co., Ltd.',
    timezone: 'Asia/Shanghai',
    currency: 'CNY',
    amountDue: '1000000.00',
    overdueSince: '2026-11-01',
  };
  const reasonOf = (overrides: Record<string, string>) => {
    const result = rowToCaseInput({ ...base, ...overrides });
    return result.ok ? undefined : result.reason;
  };

  it('accepts a valid corporate row', () => {
    expect(rowToCaseInput(base)).toMatchObject({ ok: true, input: { amountDueMinor: 100_000_000, debtor: { type: 'corporate' } } });
  });

  it('reasons name the CSV column to fix', () => {
    expect(reasonOf({ amountDue: '0' })).toBe('amountDue "0": must be greater than 0');
    expect(reasonOf({ amountDue: '1,000.00' })).toBe('amountDue: "1,000.00" is not a decimal amount');
    expect(reasonOf({ currency: 'cny' })).toMatch(/^currency "cny": an ISO 4217 code/);
    expect(reasonOf({ currency: '' })).toBe('currency: required');
    expect(reasonOf({ debtorType: 'company' })).toMatch(/^debtorType "company": Invalid option/);
    expect(reasonOf({ reason: 'fraud' })).toMatch(/^reason "fraud"/);
    expect(reasonOf({ overdueSince: '2026-02-30' })).toMatch(/^overdueSince "2026-02-30"/);
    expect(reasonOf({ loanId: 'bad id with spaces' })).toMatch(/^loanId: letters, digits/);
    expect(reasonOf({ email: 'not-an-email' })).toMatch(/^email: /);
    expect(reasonOf({ city: 'Shanghai' })).toBe('addressLine1: required when city, postalCode or country is given');
  });

  it('does not echo personal data in reasons', () => {
    const reason = reasonOf({ debtorName: '', email: 'secret-person@' }) ?? '';
    expect(reason).toMatch(/debtorName: required/);
    expect(reason).not.toContain('secret-person');
  });

  it('reports several problems of one row together', () => {
    const reason = reasonOf({ product: 'mortgage', timezone: 'Nowhere/City', amountDue: '-1' }) ?? '';
    expect(reason.split('; ').length).toBeGreaterThanOrEqual(3);
  });
});

describe('importRows', () => {
  const input = (loanId: string): CaseInput => ({
    loanId,
    product: 'personal_loan',
    reason: 'overdue',
    debtor: { id: 'C', type: 'individual', name: 'N', timezone: 'Asia/Shanghai' },
    currency: 'CNY',
    amountDueMinor: 100,
    overdueSince: '2026-11-01',
  });

  /** A CaseService stand-in: records concurrency, answers per loan id. */
  function fakeCases(answer: (loanId: string) => 'open' | 'already' | 'invalid' | 'down') {
    const stats = { inFlight: 0, maxInFlight: 0, calls: 0 };
    const service = {
      async open(raw: CaseInput) {
        stats.calls += 1;
        stats.inFlight += 1;
        stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        stats.inFlight -= 1;
        const kind = answer(raw.loanId);
        if (kind === 'invalid') throw new CaseError('invalid_request', 'policyId: unknown');
        if (kind === 'down') throw new Error('14 UNAVAILABLE: connection refused');
        return { workflowId: `collection-${raw.loanId}`, runId: 'r', created: kind === 'open' };
      },
    } as unknown as CaseService;
    return { service, stats };
  }

  it('opens with bounded concurrency, counts already-open cases and reports progress', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ row: i + 2, input: input(`L-${i}`) }));
    const { service, stats } = fakeCases((id) => (Number(id.slice(2)) % 5 === 0 ? 'already' : 'open'));
    const progress: number[] = [];
    const summary = await importRows(service, { rows, rejected: [{ row: 60, reason: 'bad' }] }, { concurrency: 4, onProgress: (p) => progress.push(p.done) });
    expect(summary).toEqual({ opened: 40, alreadyOpen: 10, rejected: [{ row: 60, reason: 'bad' }] });
    expect(stats.maxInFlight).toBe(4);
    expect(progress.at(-1)).toBe(51);
  });

  it('reports rows the service refuses as invalid and goes on', async () => {
    const rows = [2, 3, 4].map((row) => ({ row, input: input(`L-${row}`) }));
    const { service } = fakeCases((id) => (id === 'L-3' ? 'invalid' : 'open'));
    const summary = await importRows(service, { rows, rejected: [] });
    expect(summary).toEqual({ opened: 2, alreadyOpen: 0, rejected: [{ row: 3, loanId: 'L-3', reason: 'policyId: unknown' }] });
  });

  it('stops on infrastructure failures, with what was done so far', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({ row: i + 2, input: input(`L-${i}`) }));
    const { service, stats } = fakeCases((id) => (id === 'L-5' ? 'down' : 'open'));
    const error = await importRows(service, { rows, rejected: [] }, { concurrency: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).code).toBe('aborted');
    expect((error as IntakeError).message).toMatch(/UNAVAILABLE.*re-running the import is safe/);
    expect((error as IntakeError).partial?.opened).toBeLessThan(20);
    expect(stats.calls).toBeLessThan(20);
  });
});
