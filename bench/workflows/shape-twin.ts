import { condition, defineQuery, defineSignal, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BenchActivities } from '../activities';

/**
 * Bench-only workflows, bundled with collectionCase for the bench worker (never shipped).
 *
 * shapeTwin has the commands of a case's paid-in-full lifecycle and none of its logic:
 * the plan local activity, the case archive's write once the case is open (not awaited,
 * as CaseArchiver.flush), the first step's timer cut short by the payment signal, the
 * contact-rules local activity, the survey SMS activity (the same `sendSms` activity and
 * gateway the case uses), the survey window's timer cut short by the survey signal, and
 * the archive's last write as the case settles (awaited, as CaseArchiver.settle). What the
 * case costs beyond it is our code: validation, state, timeline, search attributes, memo,
 * domain decisions, and the `patched()` markers of its versions (bench/README.md says why
 * the twin mirrors the archive writes and not those).
 */
export const twinPaymentSignal = defineSignal<[unknown]>('paymentReceived');
export const twinSurveySignal = defineSignal<[unknown]>('surveyResponse');
/** Where the twin is: `opening` until its first local activity is done, then `waiting`, then `survey_sent`. */
export const twinStageQuery = defineQuery<'opening' | 'waiting' | 'survey_sent'>('twinStage');

const { benchNoop: localNoop } = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: '30s' });
const { sendSms } = proxyActivities<BenchActivities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } });
/** The archive write's options (src/workflows/case-archiver.ts), on the no-op activity. */
const { benchNoop: archiveWrite } = proxyActivities<BenchActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});

export async function shapeTwin(): Promise<void> {
  let paid = false;
  let answered = false;
  let stage: 'opening' | 'waiting' | 'survey_sent' = 'opening';
  setHandler(twinPaymentSignal, () => void (paid = true));
  setHandler(twinSurveySignal, () => void (answered = true));
  setHandler(twinStageQuery, () => stage);

  await localNoop(); // planCase
  stage = 'waiting';
  const opened = archiveWrite(); // the archive write before the first wait
  await condition(() => paid, '1 day'); // the first ladder step's timer
  await localNoop(); // scheduleContact
  const { workflowId } = workflowInfo();
  await sendSms({ idempotencyKey: `${workflowId}/twin/survey-1`, to: '+8613800138000', template: 'survey', params: {} });
  stage = 'survey_sent';
  await condition(() => answered, '7 days'); // the survey window
  await opened;
  await archiveWrite(); // the archive's last write, awaited before the workflow completes
}

/** The least a workflow can be: one no-op activity. The server's and SDK's ceiling. */
export async function trivialWorkflow(): Promise<void> {
  const { benchNoop } = proxyActivities<BenchActivities>({ startToCloseTimeout: '30s' });
  await benchNoop();
}
