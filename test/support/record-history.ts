import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { inject } from 'vitest';
import { ensureTemporalCli } from '../../scripts/tools/temporal-cli';
import { testDataConverter } from './payload-keys';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/**
 * With RECORD_HISTORIES=1, saves a finished case's history under test/histories (with the
 * stock `temporal workflow show --output json`, the format ops export) so the replay test
 * keeps it running on future code. Run once per released workflow version. Pass the client of
 * a time-skipping environment to record from it (it has no address the CLI could reach).
 *
 * The suite encrypts with a key made for the run, so payloads are decrypted before saving:
 * stored histories are plain JSON (test data only) and replay under any key.
 */
export async function maybeRecordHistory(workflowId: string, name: string, client?: Client): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  let history: unknown;
  if (client) {
    // A time-skipping server: the SDK's export, in the same JSON format as the CLI's.
    history = JSON.parse(historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory()));
  } else {
    const cli = await ensureTemporalCli();
    const { stdout } = await promisify(execFile)(
      cli,
      ['workflow', 'show', '--workflow-id', workflowId, '--address', inject('temporalAddress'), '--namespace', inject('temporalNamespace'), '--output', 'json'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    history = JSON.parse(stdout) as unknown;
  }
  await decryptPayloads(history);
  // Failure stack traces name this checkout's folder: stored histories speak only of the repo.
  const json = JSON.stringify(history, null, 2).split(`${path.resolve(__dirname, '../..')}${path.sep}`).join('');
  writeFileSync(path.resolve(__dirname, '../histories', `${name}.json`), `${json}\n`);
}

async function decryptPayloads(node: unknown): Promise<void> {
  if (node === null || typeof node !== 'object') return;
  const candidate = node as JsonPayload;
  if (typeof candidate.metadata?.encoding === 'string' && Buffer.from(candidate.metadata.encoding, 'base64').toString() === 'binary/encrypted') {
    const encrypted: Payload = {
      metadata: Object.fromEntries(Object.entries(candidate.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(candidate.data ?? '', 'base64'),
    };
    let plain = [encrypted];
    for (const codec of [...(testDataConverter().payloadCodecs ?? [])].reverse()) plain = await codec.decode(plain);
    const [decoded] = plain as [Payload];
    candidate.metadata = Object.fromEntries(Object.entries(decoded.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]));
    candidate.data = Buffer.from(decoded.data ?? new Uint8Array()).toString('base64');
    return;
  }
  for (const value of Object.values(node)) await decryptPayloads(value);
}
