import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, prettyLogs } from '../../src/logger';
import { redactDeep } from '../../src/shared/redact';

const PII = ['Wang Fang', '+8613800138000', 'wang.fang@example.cn', '1 Debtor Street', 'DBT-7731', 'Li Na', '+8613900000002'];

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('redacts personal data nested at any depth, under any personal key, and in free text', () => {
    const { lines, stream } = capture();
    const logger = createLogger('test', { level: 'info', stream });
    logger.info(
      {
        loanId: 'L-42',
        batch: { rows: [{ case: { input: { debtor: { name: 'Wang Fang', phone: '+8613800138000' } } } }] },
        deep: { a: { b: { c: { d: { e: { email: 'wang.fang@example.cn', address: { line1: '1 Debtor Street' }, debtorId: 'DBT-7731' } } } } } },
        guarantors: [{ name: 'Li Na', phone: '+8613900000002' }],
        request: { headers: { authorization: 'Bearer secret-token-123', 'x-signature': 't=1,v1=abc' } },
        note: 'called +8613800138000, mailed wang.fang@example.cn',
        err: new Error('provider refused +8613800138000'),
      },
      'sms to %s failed for wang.fang@example.cn',
      '+8613800138000',
    );
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    for (const value of PII) expect(line).not.toContain(value);
    expect(line).not.toContain('secret-token-123');
    const parsed = JSON.parse(line) as Record<string, any>;
    // What is not personal stays readable: ids, structure, masked phone tails, the logger's own name.
    expect(parsed.loanId).toBe('L-42');
    expect(parsed.name).toBe('test');
    expect(parsed.batch.rows[0].case.input.debtor).toBe('[redacted]');
    expect(parsed.deep.a.b.c.d.e).toEqual({ email: '[redacted]', address: '[redacted]', debtorId: '[redacted]' });
    expect(parsed.note).toBe('called +86138****8000, mailed [redacted]');
    expect(parsed.err.message).toContain('+86138****8000');
    expect(parsed.msg).toBe('sms to +86138****8000 failed for [redacted]');
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { phone: '+8613800138000' };
    a.self = a;
    expect(redactDeep(a)).toEqual({ phone: '[redacted]', self: '[circular or too deep]' });
  });

  it('is human-readable only on a terminal, JSON when LOG_FORMAT=json or not a TTY', () => {
    expect(prettyLogs('json')).toBe(false);
    expect(prettyLogs('pretty')).toBe(true);
    expect(prettyLogs(undefined)).toBe(Boolean(process.stdout.isTTY));
  });
});
