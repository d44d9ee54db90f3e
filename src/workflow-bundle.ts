import type { BundleOptions } from '@temporalio/worker';

/**
 * Libraries the workflow code imports that keep no per-workflow state, evaluated once per
 * worker instead of once per cached workflow.
 *
 * With the SDK's reusable V8 context every workflow gets its own module cache, so each
 * cached case used to re-evaluate zod (and build its schemas) and luxon: about 1 MiB of
 * heap per case, half of what a cached case cost (`npm run bench`, memory figures).
 * Preloaded modules are shared by every workflow of the worker; only pure libraries belong
 * here (anything holding workflow state would leak between cases and break determinism).
 */
export const SHARED_WORKFLOW_MODULES: readonly string[] = ['zod', 'luxon'];

/** The options every bundle of our workflows is built with (worker, prebundle script, tests, bench). */
export function workflowBundleOptions(workflowsPath: string): BundleOptions {
  return { workflowsPath, preloadModules: [...SHARED_WORKFLOW_MODULES] };
}
