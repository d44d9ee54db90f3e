import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CASE_PATCH_IDS } from '../../src/workflows/case-patches';
import { patchMarkers } from '../support/patch-markers';

/**
 * Cases that are running today must keep replaying on tomorrow's code: every history
 * committed under test/histories replays on the current workflow bundle, whole and task by
 * task. The same workflow code with one command removed must fail to replay, which proves the
 * check can fail.
 */
const historiesDir = path.resolve(__dirname, '../histories');
const histories = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));
const TASK_STARTED = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
const load = (file: string): unknown => JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8'));

function firstTimerFired(history: unknown): boolean {
  const events = (history as { events: Array<{ timerStartedEventAttributes?: { timerId?: string }; timerFiredEventAttributes?: { timerId?: string } }> }).events;
  const first = events.find((e) => e.timerStartedEventAttributes)?.timerStartedEventAttributes?.timerId;
  return first !== undefined && events.some((e) => e.timerFiredEventAttributes?.timerId === first);
}

/**
 * What a task boundary is made of: the events since the previous task started (the previous
 * task's outcome and commands, then what woke the workflow), by type, marker, signal and update name.
 */
function taskShape(events: temporal.api.history.v1.IHistoryEvent[]): string {
  return events
    .map((e) =>
      [
        e.eventType,
        e.markerRecordedEventAttributes?.markerName,
        e.workflowExecutionSignaledEventAttributes?.signalName,
        e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name,
      ]
        .filter((part) => part != null)
        .join(':'),
    )
    .join(',');
}

describe('replay of stored case histories', () => {
  it('has stored histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  it('has a stored history through every patched() branch of the workflow code', () => {
    const workflowsDir = path.resolve(__dirname, '../../src/workflows');
    const source = readdirSync(workflowsDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(path.join(workflowsDir, f), 'utf8'))
      .join('\n');
    // The case's ids and epochs (CasePatches), and any id asked with patched('...') directly.
    const patchIds = new Set([...CASE_PATCH_IDS, ...[...source.matchAll(/\bpatched\(\s*'([^']+)'/g)].map((m) => m[1]!)]);
    const recorded = new Set(histories.flatMap((file) => patchMarkers(load(file))));
    expect([...patchIds].filter((id) => !recorded.has(id)), 'patch ids with no recorded history (RECORD_HISTORIES=1, see README)').toEqual([]);
  });

  // One replay worker for every history and one for every task-by-task prefix (a worker per
  // history costs seconds each); each history is still judged by its own test below.
  const errors = new Map<string, unknown>();
  beforeAll(async () => {
    const whole = histories.map((file) => ({ workflowId: file, history: load(file) }));
    // A worker without a cache (or after an eviction, a restart, a second worker) rebuilds the
    // case from the history up to each task it is given, then runs that task live: replay such
    // prefixes, so no ordering that only holds in a cached workflow can hide. One prefix per kind
    // of task boundary in each history (taskShape): a ladder's twentieth timer task is the same
    // boundary as its fifth, and replaying every prefix costs the square of a history's length
    // (about 46,000 replayed events for these histories; 15,000 this way).
    const prefixes = histories.flatMap((file) => {
      const events = historyFromJSON(load(file)).events ?? [];
      const shapes = new Set<string>();
      let taskStart = 0;
      return events.flatMap((event, i) => {
        if (event.eventType !== TASK_STARTED) return [];
        const shape = taskShape(events.slice(taskStart, i + 1));
        taskStart = i + 1;
        if (shapes.has(shape)) return [];
        shapes.add(shape);
        return [{ workflowId: `${file}@${String(event.eventId)}`, history: { events: events.slice(0, i + 1) } }];
      });
    });
    for (const batch of [whole, prefixes]) {
      for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, batch)) {
        errors.set(result.workflowId, result.error ?? null);
      }
    }
  });

  it.each(histories)('replays %s on the current workflow code', (file) => {
    expect(errors.has(file), `${file} was not replayed`).toBe(true);
    expect(errors.get(file), file).toBeNull();
  });

  it.each(histories)('replays %s task by task, as a worker without a cache does', (file) => {
    const tasks = [...errors.keys()].filter((id) => id.startsWith(`${file}@`));
    expect(tasks.length).toBeGreaterThan(1);
    for (const id of tasks) expect(errors.get(id), id).toBeNull();
  });

  it('reports a determinism violation when the real workflow loses one of its commands', async () => {
    // The current src/workflows, bundled with an interceptor that drops the first timer.
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.resolve(__dirname, '../../src/workflows/index.ts'),
      workflowInterceptorModules: [path.resolve(__dirname, '../fixtures/drop-first-timer.ts')],
      logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    // Every history whose first timer fired (some cases end before their first timer). A first
    // timer cancelled by a message proves nothing: without it the case just re-decides at once
    // and starts the same timer next, as it would have after the message.
    const withTimers = histories.filter((file) => firstTimerFired(load(file)));
    expect(withTimers.length).toBeGreaterThan(0);
    const violations = new Map<string, unknown>();
    for await (const result of Worker.runReplayHistories({ workflowBundle: { code } }, withTimers.map((file) => ({ workflowId: file, history: load(file) })))) {
      violations.set(result.workflowId, result.error);
    }
    for (const file of withTimers) expect(violations.get(file), file).toBeInstanceOf(DeterminismViolationError);
  });
});
