import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction, type Workflow } from '@temporalio/client';
import { DEFAULT_INTAKE_CRON, DEFAULT_INTAKE_TIMEZONE, INTAKE_SCHEDULE_ID, INTAKE_SWEEP_WORKFLOW_TYPE, type IntakeSweepInput } from '../shared/intake';
import { isValidTimeZone } from '../shared/schemas';
import { CaseError } from './case-service';

/**
 * The daily intake as a Temporal Schedule: every morning the `intakeSweep` workflow picks
 * up the overdue files waiting in a folder on the worker's file system. Overlap SKIP: if
 * yesterday's sweep still runs, today's is skipped rather than run twice at once.
 * `collections schedule-intake --folder /data/intake` creates it or updates it in place.
 */

export interface IntakeScheduleOptions {
  /** Absolute folder, as the worker sees it. */
  folder: string;
  taskQueue: string;
  cron?: string;
  timezone?: string;
  policyId?: string;
  scheduleId?: string;
}

export interface IntakeScheduleResult {
  scheduleId: string;
  created: boolean;
  cron: string;
  timezone: string;
  folder: string;
  nextRuns: string[];
}

/** Five space-separated cron fields (minute hour day-of-month month day-of-week); Temporal validates the rest. */
function checkCron(cron: string): void {
  if (cron.trim().split(/\s+/).length !== 5) throw new CaseError('invalid_request', `cron "${cron}" must have 5 fields: minute hour day-of-month month day-of-week`);
}

export async function upsertIntakeSchedule(client: Client, options: IntakeScheduleOptions): Promise<IntakeScheduleResult> {
  const scheduleId = options.scheduleId ?? INTAKE_SCHEDULE_ID;
  const cron = options.cron ?? DEFAULT_INTAKE_CRON;
  const timezone = options.timezone ?? DEFAULT_INTAKE_TIMEZONE;
  checkCron(cron);
  if (!isValidTimeZone(timezone)) throw new CaseError('invalid_request', `unknown time zone "${timezone}"`);
  if (!options.folder.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(options.folder)) throw new CaseError('invalid_request', 'the intake folder must be an absolute path on the worker');

  const input: IntakeSweepInput = { folder: options.folder, ...(options.policyId ? { policyId: options.policyId } : {}) };
  const action: ScheduleOptionsStartWorkflowAction<Workflow> = {
    type: 'startWorkflow',
    workflowType: INTAKE_SWEEP_WORKFLOW_TYPE,
    // The schedule appends the scheduled time, so each day's run has its own id.
    workflowId: `intake-sweep-${scheduleId}`,
    args: [input],
    taskQueue: options.taskQueue,
    workflowExecutionTimeout: '23 hours',
    staticSummary: `Daily intake of overdue files from ${options.folder}`,
  };
  const spec = { cronExpressions: [cron], timezone };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '6 hours' } as const;

  let created = true;
  try {
    await client.schedule.create({ scheduleId, spec, action, policies, state: { note: `daily intake from ${options.folder}` } });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    created = false;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
  }
  const description = await client.schedule.getHandle(scheduleId).describe();
  return { scheduleId, created, cron, timezone, folder: options.folder, nextRuns: description.info.nextActionTimes.map((d) => d.toISOString()) };
}

/** Runs the sweep now (outside the timetable), e.g. after dropping a file in by hand. */
export async function triggerIntakeSchedule(client: Client, scheduleId = INTAKE_SCHEDULE_ID): Promise<void> {
  await client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.SKIP);
}
