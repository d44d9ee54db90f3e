import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';

/**
 * Cases that are running today must keep replaying on tomorrow's code: every history
 * committed under test/histories replays on the current workflow bundle, whole and task by
 * task. A workflow with a reordered step must fail to replay, which proves the check can fail.
 */
const historiesDir = path.resolve(__dirname, '../histories');
const histories = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));
const TASK_STARTED = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
const load = (file: string): unknown => JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8'));

describe('replay of stored case histories', () => {
  it('has stored histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  it.each(histories)('replays %s on the current workflow code', async (file) => {
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, load(file), file);
  });

  // A worker without a cache (or after an eviction, a restart, a second worker) rebuilds the
  // case from the history up to each task it is given, then runs that task live: replay every
  // such prefix, so no ordering that only holds in a cached workflow can hide.
  it.each(histories)('replays %s task by task, as a worker without a cache does', async (file) => {
    const events = historyFromJSON(load(file)).events ?? [];
    const prefixes = events.flatMap((event, i) =>
      event.eventType === TASK_STARTED ? [{ workflowId: `${file}@${String(event.eventId)}`, history: { events: events.slice(0, i + 1) } }] : [],
    );
    expect(prefixes.length).toBeGreaterThan(1);
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, prefixes)) {
      expect(result.error, result.workflowId).toBeUndefined();
      replayed += 1;
    }
    expect(replayed).toBe(prefixes.length);
  });

  it('reports a determinism violation for workflow code that changes the order of steps', async () => {
    const file = histories[0]!;
    await expect(
      Worker.runReplayHistory({ workflowsPath: path.resolve(__dirname, '../fixtures/nondeterministic-workflow.ts') }, load(file), file),
    ).rejects.toThrow(DeterminismViolationError);
  });
});
