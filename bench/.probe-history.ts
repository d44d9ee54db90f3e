import { randomUUID } from 'node:crypto';
import { caseWorkflowId, WORKFLOW_TYPE } from '../src/shared/ids';
import { surveyResponseSignal, paymentReceivedSignal, timelineQuery } from '../src/shared/messages';
import { temporal } from '@temporalio/proto';
import { caseInputs, fullPayment } from './fixtures';
import { pollUntil } from './stats';
import { createTeardown, requireBuiltTemporalCli, startStack } from './stack';
import { BenchWorkerProcess } from './worker-handle';
async function main() {
  const teardown = createTeardown();
  const stack = await startStack(teardown, await requireBuiltTemporalCli());
  const taskQueue = `probe-${randomUUID()}`;
  const worker = await BenchWorkerProcess.start({ address: stack.address, namespace: stack.namespace, taskQueue, workflowBundlePath: stack.bundles.bench, policyFile: stack.benchPolicyFile, payloadKeys: stack.payloadKeys, reportSends: true });
  teardown.add('w', () => worker.stop());
  const input = caseInputs('hist', 1)[0]!;
  const handle = await stack.client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: caseWorkflowId(input.loanId), args: [input] });
  await handle.signal(paymentReceivedSignal, fullPayment(input));
  await pollUntil(async () => ((await handle.query(timelineQuery)).some((e) => e.kind === 'survey_sent') ? true : undefined), { timeoutMs: 60_000, intervalMs: 20, backoff: 2, maxIntervalMs: 200, what: 'survey' });
  await handle.signal(surveyResponseSignal, { score: 5 });
  await handle.result();
  const history = await handle.fetchHistory();
  for (const e of history.events ?? []) {
    const type = temporal.api.enums.v1.EventType[e.eventType!]!.replace('EVENT_TYPE_', '');
    const extra = e.activityTaskScheduledEventAttributes?.activityType?.name ?? e.markerRecordedEventAttributes?.markerName ?? e.timerStartedEventAttributes?.timerId ?? e.workflowExecutionSignaledEventAttributes?.signalName ?? (e.upsertWorkflowSearchAttributesEventAttributes ? Object.keys(e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {}).join(',') : '') ?? '';
    console.log(String(e.eventId).padStart(3), type, extra);
  }
  await teardown.run();
}
main().then(() => process.exit(0));
