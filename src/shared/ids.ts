/** Identifiers shared by clients, the worker and the workflow. */
export const DEFAULT_TASK_QUEUE = 'collections';
export const WORKFLOW_TYPE = 'collectionCase';

export function caseWorkflowId(loanId: string): string {
  return `collection-${loanId}`;
}

export function loanIdFromWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith('collection-') ? workflowId.slice('collection-'.length) : undefined;
}
