import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { inject } from 'vitest';
import { ensureTemporalCli } from '../../scripts/tools/temporal-cli';

/**
 * With RECORD_HISTORIES=1, saves a finished case's history under test/histories (with the
 * stock `temporal workflow show --output json`, the format ops export) so the replay test
 * keeps it running on future code. Run once per released workflow version. Pass the client of
 * a time-skipping environment to record from it (it has no address the CLI could reach).
 */
export async function maybeRecordHistory(workflowId: string, name: string, client?: Client): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  if (client) {
    // A time-skipping server: the SDK's export, in the same JSON format as the CLI's.
    writeFileSync(path.resolve(__dirname, '../histories', `${name}.json`), historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory()));
    return;
  }
  const cli = await ensureTemporalCli();
  const { stdout } = await promisify(execFile)(
    cli,
    ['workflow', 'show', '--workflow-id', workflowId, '--address', inject('temporalAddress'), '--namespace', inject('temporalNamespace'), '--output', 'json'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(path.resolve(__dirname, '../histories', `${name}.json`), stdout);
}
