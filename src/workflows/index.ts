/** Workflow bundle entry: every workflow type the worker registers. */
export { collectionCase } from './collection-case';
export { intakeSweep } from './intake-sweep';
