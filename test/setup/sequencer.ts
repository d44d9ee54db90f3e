import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each longer test file took in a whole run on 2 cores, as vitest counts them (with its
 * hooks and imports, under the run's load); a file not listed counts as short. Only the order
 * matters, so round figures do.
 */
const TYPICAL_SECONDS: Readonly<Record<string, number>> = {
  'test/archive.test.ts': 58,
  'test/chaos.test.ts': 45,
  'test/cli.test.ts': 35,
  'test/cli-import.test.ts': 25,
  'test/workflow/replay.test.ts': 25,
  'test/workflow/end-to-end.test.ts': 19,
  'test/workflow/continue-as-new.test.ts': 18,
  'test/workflow/local-activity-clock.test.ts': 16,
  'test/workflow/determinism.test.ts': 16,
  'test/archive-storm.test.ts': 15,
  'test/console.test.ts': 13,
  'test/workflow/case-safety.test.ts': 12,
  'test/intake-sweep.test.ts': 12,
  'test/workflow/escalation.test.ts': 11,
  'test/workflow/update-during-local-activity.test.ts': 10,
  'test/api-payments.test.ts': 10,
  'test/temporal-cli.test.ts': 10,
  'test/payload-encryption.test.ts': 10,
  'test/workflow/strategy.test.ts': 9,
  'test/api.test.ts': 8,
  'test/workflow/first-task-ordering.test.ts': 7,
  'test/api-main.test.ts': 7,
  'test/api-access.test.ts': 7,
  'test/case-safety-api.test.ts': 6,
  'test/workflow/real-calendar.test.ts': 5,
  'test/api-bulk.test.ts': 4,
  'test/sandbox.test.ts': 4,
  'test/workflow/signal-storm.test.ts': 4,
  'test/tooling.test.ts': 3,
  'test/unit/compliance.property.test.ts': 3,

};

/**
 * Longest test files first, so that the files that mostly wait (real timers on the dev server,
 * child processes, a browser) start early and their waits overlap other files' CPU, instead of
 * ending the run on an idle machine. Vitest orders by the durations it cached on the last run;
 * a fresh clone (CI) has no cache, and vitest then runs the largest files first, which left the
 * short waiting files for the end: 136 s instead of 120 s on 2 cores. A cached duration wins over
 * the table, so a file's new length counts from its next run.
 */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const seconds = (spec: TestSpecification): number => {
      const file = path.relative(root, spec.moduleId).split(path.sep).join('/');
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`);
      return cached ? cached.duration / 1000 : (TYPICAL_SECONDS[file] ?? 0);
    };
    const bySize = await super.sort(files);
    return bySize.map((spec, index) => ({ spec, index, seconds: seconds(spec) })).sort((a, b) => b.seconds - a.seconds || a.index - b.index).map(({ spec }) => spec);
  }
}
