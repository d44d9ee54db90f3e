import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';

/**
 * Cases that are running today must keep replaying on tomorrow's code: every history
 * committed under test/histories replays on the current workflow bundle. The same workflow
 * code with one command removed must fail to replay, which proves the check can fail.
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

  it('reports a determinism violation when the real workflow loses one of its commands', async () => {
    // The current src/workflows, bundled with an interceptor that drops the first timer.
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.resolve(__dirname, '../../src/workflows/index.ts'),
      workflowInterceptorModules: [path.resolve(__dirname, '../fixtures/drop-first-timer.ts')],
      logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    for (const file of histories) {
      await expect(Worker.runReplayHistory({ workflowBundle: { code } }, load(file), file), file).rejects.toThrow(DeterminismViolationError);
    }
  });
});
