/** Runs scenarios one after another on one stack and collects a row per scenario. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ENCRYPTED_ENCODING } from '../../src/payload-codec';
import { REPO_ROOT } from '../dev-server';
import type { Scenario, ScenarioResult } from './scenario';
import { HISTORIES_DIR } from './scenarios/replay';
import { type Log, startStack } from './stack';

export type Outcome = 'pass' | 'FAIL' | 'pending';

export interface Row {
  /** The scenario's number in issue 12 (10b: a variant of 10). */
  number: number | string;
  id: string;
  title: string;
  outcome: Outcome;
  seconds: number;
  result?: ScenarioResult;
  /** Why it is pending, or the error that stopped it. */
  reason?: string;
}

export interface MatrixOptions {
  scenarios: { number: number | string; scenario: Scenario }[];
  scale: number;
  /** Save one closed case's history per scenario under test/histories (chaos-<id>.json). */
  recordHistories: boolean;
  log: Log;
}

export function passed(result: ScenarioResult): boolean {
  return result.lost === 0 && result.duplicated === 0 && result.failed === 0 && result.problems.length === 0;
}

/**
 * Stored histories are plain JSON (test data, made-up debtors) so they replay under any key:
 * every encrypted payload in the history is decoded in place with the run's codec.
 */
async function decryptPayloads(node: unknown, codecs: readonly PayloadCodec[]): Promise<void> {
  if (node === null || typeof node !== 'object') return;
  const payload = node as Payload;
  const encoding = payload.metadata?.encoding;
  if (encoding instanceof Uint8Array && Buffer.from(encoding).toString() === ENCRYPTED_ENCODING) {
    let plain: Payload[] = [payload];
    for (const codec of [...codecs].reverse()) plain = await codec.decode(plain);
    payload.metadata = plain[0]!.metadata;
    payload.data = plain[0]!.data;
    return;
  }
  for (const value of Object.values(node)) await decryptPayloads(value, codecs);
}

export async function runMatrix(options: MatrixOptions): Promise<Row[]> {
  const { log } = options;
  const stack = await startStack(log);
  const rows: Row[] = [];
  try {
    for (const { number, scenario } of options.scenarios) {
      const base = { number, id: scenario.id, title: scenario.title };
      if (scenario.pending) {
        rows.push({ ...base, outcome: 'pending', seconds: 0, reason: scenario.pending });
        log(`#${number} ${scenario.id}: pending (${scenario.pending})`);
        continue;
      }
      log(`#${number} ${scenario.id}: running`);
      const t0 = Date.now();
      try {
        const result = await scenario.run({ stack, log, scale: options.scale });
        const seconds = Math.round((Date.now() - t0) / 1000);
        rows.push({ ...base, outcome: passed(result) ? 'pass' : 'FAIL', seconds, result });
        log(`#${number} ${scenario.id}: ${passed(result) ? 'pass' : 'FAIL'} in ${seconds} s; ${[...result.notes, ...result.problems.slice(0, 10)].join(' | ')}`);
        if (options.recordHistories && result.historyWorkflowId) {
          const history = await stack.client.workflow.getHandle(result.historyWorkflowId).fetchHistory();
          await decryptPayloads(history, stack.dataConverter.payloadCodecs ?? []);
          // Failure stack traces name this checkout's folder: stored histories speak only of the repo.
          await fs.writeFile(path.join(HISTORIES_DIR, `chaos-${scenario.id}.json`), historyToJSON(history).split(`${REPO_ROOT}${path.sep}`).join(''));
        }
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        rows.push({ ...base, outcome: 'FAIL', seconds: Math.round((Date.now() - t0) / 1000), reason });
        log(`#${number} ${scenario.id}: FAIL (${reason})`);
      }
    }
  } finally {
    await stack.close(rows.some((r) => r.outcome === 'FAIL'));
  }
  return rows;
}
