import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';

/**
 * Cases that are running today must keep replaying on tomorrow's code: every history
 * committed under test/histories replays on the current workflow bundle. A workflow with
 * a reordered step must fail to replay, which proves the check can fail.
 */
const historiesDir = path.resolve(__dirname, '../histories');
const histories = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));
const load = (file: string): unknown => JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8'));

describe('replay of stored case histories', () => {
  it('has stored histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  it.each(histories)('replays %s on the current workflow code', async (file) => {
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, load(file), file);
  });

  it('reports a determinism violation for workflow code that changes the order of steps', async () => {
    const file = histories[0]!;
    await expect(
      Worker.runReplayHistory({ workflowsPath: path.resolve(__dirname, '../fixtures/nondeterministic-workflow.ts') }, load(file), file),
    ).rejects.toThrow(DeterminismViolationError);
  });
});
