import { log, proxyActivities } from '@temporalio/workflow';
import type { IntakeActivities } from '../activities/intake';
import type { IntakeSweepInput, IntakeSweepResult } from '../shared/intake';

const { importPendingFiles } = proxyActivities<IntakeActivities>({
  // A large file takes a while; the activity heartbeats every 100 rows, so a dead worker is noticed within a minute.
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10, nonRetryableErrorTypes: ['IntakeFolderUnreadable'] },
  summary: 'import pending overdue files',
});

/**
 * The daily intake (started by the `daily-intake` schedule): imports every overdue file
 * waiting in the intake folder, so intake needs no manual step. Re-running is safe.
 */
export async function intakeSweep(input: IntakeSweepInput): Promise<IntakeSweepResult> {
  const result = await importPendingFiles(input);
  const totals = result.files.reduce((t, f) => ({ opened: t.opened + f.opened, alreadyOpen: t.alreadyOpen + f.alreadyOpen, rejected: t.rejected + f.rejectedCount }), { opened: 0, alreadyOpen: 0, rejected: 0 });
  log.info('intake sweep finished', { folder: input.folder, files: result.files.length, ...totals });
  return result;
}
