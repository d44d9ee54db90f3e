import type { BundleOptions } from '@temporalio/worker';

/**
 * Modules of the workflow bundle that hold no per-workflow state, evaluated once per worker
 * and shared by every workflow instead of once per cached workflow.
 *
 * With the SDK's reusable V8 context every workflow gets its own module cache, so each
 * cached case used to evaluate its own copy of zod, every zod schema of src/shared and
 * luxon: about 1.2 MiB of live heap per case, most of what a cached case cost
 * (`npm run bench`, memory figures). Preloaded modules land in a cache shared by the
 * worker's workflows.
 *
 * Only pure modules belong here: constant schemas and pure functions, nothing that keeps
 * state between calls and nothing that imports `@temporalio/workflow` (its modules hold the
 * running workflow's state; shared, cases would leak into each other). Our own modules are
 * listed rather than the libraries themselves: zod and luxon declare themselves free of side
 * effects, so webpack drops a bare `require('zod')` preload; our modules keep them alive.
 */
export const SHARED_WORKFLOW_MODULES: readonly string[] = [require.resolve('./domain/local-time')];

/** The options every bundle of our workflows is built with (worker, prebundle script, tests, bench). */
export function workflowBundleOptions(workflowsPath: string): BundleOptions {
  return { workflowsPath, preloadModules: [...SHARED_WORKFLOW_MODULES] };
}
