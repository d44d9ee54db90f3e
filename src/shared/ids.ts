/** Identifiers shared by clients, the worker and the workflow. */
export const DEFAULT_TASK_QUEUE = 'collections';
export const WORKFLOW_TYPE = 'collectionCase';

export function caseWorkflowId(loanId: string): string {
  return `collection-${loanId}`;
}

export function loanIdFromWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith('collection-') ? workflowId.slice('collection-'.length) : undefined;
}

/** `<workflowId>/<overdue date>/<step>`: a provider call's key, stable across retries and replays, distinct if the loan re-defaults later. */
export function stepIdempotencyKey(workflowId: string, overdueSince: string, step: string): string {
  return `${archiveCaseKey(workflowId, overdueSince)}/${step}`;
}

/** `<workflowId>/<overdueSince>`: the case's key in the archive, the prefix of its provider idempotency keys. */
export function archiveCaseKey(workflowId: string, overdueSince: string): string {
  return `${workflowId}/${overdueSince}`;
}
