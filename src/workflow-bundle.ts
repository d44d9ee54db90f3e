import path from 'node:path';
import type { BundleOptions } from '@temporalio/worker';

/**
 * Modules of the workflow bundle evaluated once per worker and shared by every workflow,
 * instead of once per cached workflow.
 *
 * With the SDK's reusable V8 context every workflow gets its own module cache: each cached
 * case evaluates its own copy of every module it imports. luxon (through our local-time
 * module) is shared: about 65 KiB less per cached case (`npm run bench`, memory figures).
 *
 * Only pure modules can be shared, and the SDK deep-freezes them: nothing that imports
 * `@temporalio/workflow` (its modules hold the running workflow's state), and not zod or
 * our schemas (zod 4 adds methods to schema objects on first use, which a frozen schema
 * refuses: "Cannot define property safeParse, object is not extensible"). Our module is
 * listed rather than luxon itself: luxon declares itself free of side effects, so webpack
 * drops a bare `require('luxon')` preload.
 */
export const SHARED_WORKFLOW_MODULES: readonly string[] = [path.join(__dirname, 'domain/local-time.ts')];

/** The options every bundle of our workflows is built with (worker, prebundle script, tests, bench). */
export function workflowBundleOptions(workflowsPath: string): BundleOptions {
  return { workflowsPath, preloadModules: [...SHARED_WORKFLOW_MODULES] };
}
