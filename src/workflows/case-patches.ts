import * as wf from '@temporalio/workflow';

/**
 * The case's versions: every `patched()` id of collectionCase, oldest first, and the epochs
 * that stand for the ids before them.
 *
 * Each patch a case asks costs it two history events (the marker and the
 * `TemporalChangeVersion` upsert the SDK adds), however old the patch. An epoch is a patch
 * asked first thing in the run: a case that has it started on code that had every id listed
 * before it, so each of those is known to be true and is not asked (no marker, no upsert).
 * Why that is safe:
 * - `patched()` is true on a live (non-replay) activation (the worker sets no
 *   `patchActivationCallback`), so the code that recorded the epoch answered, or would have
 *   answered, true to each id the first time it asked, and replay then finds the marker.
 * - Epochs are asked once, in the first activation, before any command, and the answer is
 *   kept: a case whose first task older code completed replays that activation and gets false
 *   (asked again later, live, it would answer true mid-history).
 * - When no epoch applies, the ids are asked one by one at the same points and in the same
 *   order as before (replay matches each marker with the id asked in its place: asking
 *   `case-archive` before `payment-id-trimmed` fails v3 histories), so older histories replay
 *   unchanged. That holds for an id asked lazily too (`forbearance-before-escalation`, when
 *   the engine considers an offer).
 *
 * Adding a patch: append its id below and ask it with `has(id)` where the change is (new
 * cases then pay its two events), or append a new epoch (`{ epoch: 'case-code-v8' }`): it
 * folds every entry before it into one marker, and what that version changes itself is asked
 * with `has('case-code-v8')`. Older epochs stay, so cases started on them still find theirs.
 * Never remove or reorder an entry, and record a history for each new id or epoch (README,
 * "Tests and benchmarks").
 *
 * case-code-v7 itself: the opening's visibility sync waits for the first decision, after the
 * messages held for the opening (CollectionCase.syncOpening), and report facts the start memo
 * already holds are not upserted again (CaseContext).
 *
 * case-code-v8 itself: a call's collector is picked at the instant the contact rules decided
 * on, before the provider call ends the decision (contactDebtor in case-steps.ts). v7 and older
 * picked it on the clock after that local activity, which a replay can put earlier than the run
 * did: a rotation falling due in between named another collector on replay than the archive had.
 */
const CASE_PATCHES = [
  'forbearance-before-escalation',
  'report-memo',
  'payment-id-trimmed',
  'case-archive',
  'messages-wait-for-case-opening',
  'case-safety',
  'bounded-message-work',
  'archive-backlog',
  'no-update-during-local-activity',
  { epoch: 'case-code-v7' },
  { epoch: 'case-code-v8' },
] as const;

type Entry = (typeof CASE_PATCHES)[number];
/** A patch id or an epoch. */
export type CasePatchId = Extract<Entry, string> | Extract<Entry, { epoch: string }>['epoch'];

/** Every id the case can record a marker for, epochs included (the replay test wants a history for each). */
export const CASE_PATCH_IDS: readonly CasePatchId[] = CASE_PATCHES.map((e: Entry) => (typeof e === 'string' ? e : e.epoch));
const EPOCH_IDS: ReadonlySet<string> = new Set(CASE_PATCHES.flatMap((e: Entry) => (typeof e === 'string' ? [] : [e.epoch])));

/** The epoch a case started now records: its one patch marker. */
export const CURRENT_EPOCH: CasePatchId = CASE_PATCH_IDS[CASE_PATCH_IDS.length - 1]!;

/** Which patches this run has. */
export class CasePatches {
  /** The index in CASE_PATCHES of the run's epoch (it and every entry before it hold); -1 without one. */
  private constructor(private readonly epoch: number) {}

  /** Asks the epochs, newest first, until one is present. Call once, first thing in the run. */
  static ask(): CasePatches {
    for (let i = CASE_PATCHES.length - 1; i >= 0; i--) {
      const entry = CASE_PATCHES[i]!;
      if (typeof entry !== 'string' && wf.patched(entry.epoch)) return new CasePatches(i);
    }
    return new CasePatches(-1);
  }

  /**
   * Whether this run has the patch: true up to its epoch, else `patched(id)`. An epoch can be
   * asked too (what that version changes itself): a newer one than the run's is false, never
   * `patched()`, since epochs are asked only first thing.
   */
  has(id: CasePatchId): boolean {
    if (CASE_PATCH_IDS.indexOf(id) <= this.epoch) return true;
    return !EPOCH_IDS.has(id) && wf.patched(id);
  }
}
