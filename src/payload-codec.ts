import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { describeZodError } from './shared/schemas';

/**
 * AES-256-GCM payload codec with key ids (spec section 10), after the Temporal sample
 * `encryption/src/encryption-codec.ts`.
 *
 * An encoded payload is `{metadata: {encoding: "binary/encrypted", "encryption-key-id": <id>},
 * data: <12-byte IV><ciphertext of the whole original Payload protobuf><16-byte GCM tag>}`:
 * the original metadata (its `encoding`, e.g. json/plain) is inside the ciphertext, so
 * nothing about the value shows. The active key encrypts; every listed key decrypts, so a
 * new key can become active while older histories still read (rotation without downtime).
 * Payloads without the encrypted encoding pass through decode untouched (histories from
 * before encryption, replay fixtures).
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

const Key = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64')
  .refine((b64) => Buffer.from(b64, 'base64').length === 32, 'must be the base64 of exactly 32 bytes (AES-256)');

/** `PAYLOAD_KEYS_FILE`: `{"active": "<id>", "keys": {"<id>": "<base64 of 32 bytes>"}}`. */
export const PayloadKeysFile = z
  .object({
    active: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'key ids are 1-64 letters, digits, dots, dashes or underscores'),
    keys: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), Key),
  })
  .strict()
  .refine((f) => f.active in f.keys, { message: 'the active key id must be one of "keys"', path: ['active'] });
export type PayloadKeysFile = z.infer<typeof PayloadKeysFile>;

export interface PayloadKeys {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export function payloadKeysFrom(file: PayloadKeysFile): PayloadKeys {
  return { activeKeyId: file.active, keys: new Map(Object.entries(file.keys).map(([id, b64]) => [id, Buffer.from(b64, 'base64')])) };
}

/** Reads and validates a key file; the error names the file and the field, never a key. */
export function loadPayloadKeys(file: string): PayloadKeys {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`PAYLOAD_KEYS_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = PayloadKeysFile.safeParse(raw);
  if (!parsed.success) throw new Error(`PAYLOAD_KEYS_FILE ${file}: ${describeZodError(parsed.error)}`);
  return payloadKeysFrom(parsed.data);
}

/** A fresh key file's content with one random key (npm start's dev key, tests). */
export function generatePayloadKeysFile(keyId: string): PayloadKeysFile {
  return { active: keyId, keys: { [keyId]: randomBytes(32).toString('base64') } };
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeys) {
    if (!keys.keys.has(keys.activeKeyId)) throw new ValueError(`active payload key "${keys.activeKeyId}" is not among the keys`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.keys.get(this.keys.activeKeyId)!;
    return payloads.map((payload) => ({
      metadata: { [METADATA_ENCODING_KEY]: encode(ENCRYPTED_ENCODING), [METADATA_KEY_ID]: encode(this.keys.activeKeyId) },
      data: encrypt(temporal.api.common.v1.Payload.encode(payload).finish(), key),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[METADATA_KEY_ID];
      if (!keyIdBytes) throw new ValueError('encrypted payload without an encryption-key-id');
      const keyId = decode(keyIdBytes);
      const key = this.keys.keys.get(keyId);
      if (!key) throw new ValueError(`no payload key "${keyId}" in PAYLOAD_KEYS_FILE (was it removed too early?)`);
      if (!payload.data) throw new ValueError('encrypted payload without data');
      return temporal.api.common.v1.Payload.decode(decrypt(payload.data, key)) as Payload;
    });
  }
}

const encode = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const decode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

function encrypt(plain: Uint8Array, key: Buffer): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function decrypt(data: Uint8Array, key: Buffer): Uint8Array {
  const bytes = Buffer.from(data);
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload too short');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new ValueError('encrypted payload failed authentication (wrong key or tampered data)');
  }
}
