import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, generatePayloadKeysFile, loadPayloadKeys, METADATA_KEY_ID, payloadKeysFrom } from '../../src/payload-codec';
import { payloadProtection } from '../../src/temporal-connection';

const debtor = { name: 'Wang Fang', phone: '+8613800138000', email: 'wang.fang@example.cn', address: { line1: '1 Debtor Street' }, id: 'DBT-7731' };
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

const k1 = generatePayloadKeysFile('k1');
const k2 = generatePayloadKeysFile('k2');
const both = { active: 'k2', keys: { ...k1.keys, ...k2.keys } };

describe('AesGcmPayloadCodec', () => {
  it('encrypts the whole payload (data and original metadata) under the active key id and decodes it back', async () => {
    const codec = new AesGcmPayloadCodec(payloadKeysFrom(k1));
    const plain = defaultPayloadConverter.toPayload(debtor);
    const [encoded] = await codec.encode([plain]);
    expect(text(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded!.metadata![METADATA_KEY_ID])).toBe('k1');
    expect(Object.keys(encoded!.metadata!)).toEqual(['encoding', METADATA_KEY_ID]);
    for (const value of ['Wang Fang', '+8613800138000', 'wang.fang@example.cn', 'Debtor Street', 'DBT-7731', 'json/plain']) expect(text(encoded!.data)).not.toContain(value);
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(debtor);
  });

  it('uses a fresh IV each time: the same value never encrypts to the same bytes', async () => {
    const codec = new AesGcmPayloadCodec(payloadKeysFrom(k1));
    const plain = defaultPayloadConverter.toPayload(debtor);
    const [a, b] = await codec.encode([plain, plain]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('rotation: with {k1, k2} active k2, new payloads use k2 and k1 payloads still decode', async () => {
    const old = (await new AesGcmPayloadCodec(payloadKeysFrom(k1)).encode([defaultPayloadConverter.toPayload(debtor)]))[0]!;
    const rotated = new AesGcmPayloadCodec(payloadKeysFrom(both));
    const fresh = (await rotated.encode([defaultPayloadConverter.toPayload(debtor)]))[0]!;
    expect(text(fresh.metadata![METADATA_KEY_ID])).toBe('k2');
    const decoded = await rotated.decode([old, fresh]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([debtor, debtor]);
  });

  it('refuses a payload whose key is not listed, and tampered data', async () => {
    const [encoded] = await new AesGcmPayloadCodec(payloadKeysFrom(k1)).encode([defaultPayloadConverter.toPayload(debtor)]);
    await expect(new AesGcmPayloadCodec(payloadKeysFrom(k2)).decode([encoded!])).rejects.toThrow(/no payload key "k1"/);
    const tampered = Buffer.from(encoded!.data!);
    tampered[20] = tampered[20]! ^ 1;
    await expect(new AesGcmPayloadCodec(payloadKeysFrom(k1)).decode([{ ...encoded!, data: tampered }])).rejects.toThrow(/failed authentication/);
  });

  it('passes unencrypted payloads through decode (histories from before encryption)', async () => {
    const plain = defaultPayloadConverter.toPayload({ loanId: 'L-1' });
    expect(await new AesGcmPayloadCodec(payloadKeysFrom(k1)).decode([plain])).toEqual([plain]);
  });
});

describe('PAYLOAD_KEYS_FILE', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'payload-keys-'));
  const write = (name: string, content: unknown): string => {
    const file = path.join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('loads a valid file', () => {
    const keys = loadPayloadKeys(write('ok.json', both));
    expect(keys.activeKeyId).toBe('k2');
    expect([...keys.keys.keys()]).toEqual(['k1', 'k2']);
  });

  it.each([
    ['an active id that is not a key', { active: 'k9', keys: k1.keys }, /active/],
    ['a key of the wrong length', { active: 'k1', keys: { k1: Buffer.alloc(16).toString('base64') } }, /32 bytes/],
    ['a key that is not base64', { active: 'k1', keys: { k1: 'not base64!' } }, /base64/],
    ['no keys at all', { active: 'k1' }, /keys/],
    ['not JSON', '{active:', /PAYLOAD_KEYS_FILE/],
  ])('refuses %s, naming the file and never printing a key', (_, content, message) => {
    const file = write('bad.json', content);
    expect(() => loadPayloadKeys(file)).toThrow(message);
    try {
      loadPayloadKeys(file);
    } catch (err) {
      expect(String(err)).toContain(file);
      for (const key of Object.values(k1.keys)) expect(String(err)).not.toContain(key);
    }
  });

  it('is required unless ALLOW_TEST_POLICIES=true, which turns encryption off and says so', () => {
    expect(() => payloadProtection({ ALLOW_TEST_POLICIES: false })).toThrow(/PAYLOAD_KEYS_FILE is required/);
    const off = payloadProtection({ ALLOW_TEST_POLICIES: true });
    expect(off.activeKeyId).toBeUndefined();
    expect(off.dataConverter.payloadCodecs ?? []).toEqual([]);
    expect(off.summary).toMatch(/encryption is OFF/);
    const on = payloadProtection({ ALLOW_TEST_POLICIES: true, PAYLOAD_KEYS_FILE: write('on.json', k1) });
    expect(on.activeKeyId).toBe('k1');
    expect(on.dataConverter.payloadCodecs).toHaveLength(1);
  });
});
