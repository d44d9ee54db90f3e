import { msToNumber } from '@temporalio/common/lib/time';
import type { Channel, LadderStep } from '../policy/schema';
import type { Stage } from '../shared/schemas';

/**
 * Where a case stands on its escalation ladder, and when its next step is due.
 * Pure functions over plain JSON, shared by the workflow and unit tests.
 */
export interface LadderProgress {
  /** Index of the step being worked (its occurrences repeat until the next step is due). */
  index: number;
  /** How many times the current step has been carried out (or skipped). */
  occurrences: number;
  /** When the current step last happened (ISO). */
  lastAt?: string;
  /** When the previous step last happened (ISO), for minGapAfterPrevious. */
  previousDoneAt?: string;
}

export interface DueStep {
  index: number;
  step: LadderStep;
  /** 1-based occurrence number of this step: part of the idempotency key. */
  occurrence: number;
  dueAt: number;
  /** Stable id of this occurrence, e.g. "sms-2". */
  key: string;
}

const ms = (duration: string): number => msToNumber(duration as never);

export function stageOf(channel: Channel): Stage {
  switch (channel) {
    case 'sms':
      return 'sms';
    case 'call':
      return 'phone';
    default:
      return channel;
  }
}

/**
 * The ladder position a case starts at: steps that were already due when the case
 * opened are passed over, except the latest of them (a case opened at DPD 20 starts
 * with the demand letter, not with a first SMS reminder). With `keepNotices`, reminders
 * are passed over but never a notice (demand letter, lawyer's letter): a case opened at
 * DPD 400 starts with the demand letter, not in court.
 */
export function initialProgress(
  ladder: readonly LadderStep[],
  anchorAt: number,
  openedAt: number,
  options: { keepNotices?: (step: LadderStep) => boolean } = {},
): { progress: LadderProgress; skipped: LadderStep[] } {
  let index = 0;
  ladder.forEach((step, i) => {
    if (anchorAt + ms(step.at) <= openedAt) index = i;
  });
  const keep = options.keepNotices;
  if (keep) {
    const firstNotice = ladder.findIndex(keep);
    if (firstNotice >= 0 && firstNotice < index) index = firstNotice;
  }
  return { progress: { index, occurrences: 0 }, skipped: ladder.slice(0, index) };
}

/**
 * The next occurrence due. Repeats of the current step stop once the next step is due
 * (or maxRepeats is reached); then the ladder moves on. Returns undefined when the
 * ladder is exhausted.
 */
export function nextDueStep(ladder: readonly LadderStep[], progress: LadderProgress, anchorAt: number): DueStep | undefined {
  let { index, occurrences, lastAt, previousDoneAt } = progress;
  while (index < ladder.length) {
    const step = ladder[index]!;
    const next = ladder[index + 1];
    const nextBaseDue = next ? anchorAt + ms(next.at) : Number.POSITIVE_INFINITY;
    if (occurrences === 0) {
      const gap = step.minGapAfterPrevious && previousDoneAt ? Date.parse(previousDoneAt) + ms(step.minGapAfterPrevious) : 0;
      const dueAt = Math.max(anchorAt + ms(step.at), gap);
      return { index, step, occurrence: 1, dueAt, key: `${step.id}-1` };
    }
    const canRepeat = step.repeatEvery !== undefined && (step.maxRepeats === undefined || occurrences <= step.maxRepeats);
    if (canRepeat && lastAt) {
      const dueAt = Date.parse(lastAt) + ms(step.repeatEvery!);
      if (dueAt < nextBaseDue) return { index, step, occurrence: occurrences + 1, dueAt, key: `${step.id}-${occurrences + 1}` };
    }
    previousDoneAt = lastAt;
    index += 1;
    occurrences = 0;
    lastAt = undefined;
  }
  return undefined;
}

/** Progress after an occurrence was carried out (or skipped) at `at`. */
export function advance(progress: LadderProgress, due: DueStep, at: string): LadderProgress {
  if (due.index === progress.index) {
    return { ...progress, occurrences: progress.occurrences + 1, lastAt: at };
  }
  return { index: due.index, occurrences: 1, lastAt: at, previousDoneAt: progress.lastAt ?? progress.previousDoneAt };
}
