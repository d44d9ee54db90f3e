import path from 'node:path';
import type { BundleOptions } from '@temporalio/worker';

/**
 * Bundler options every workflow bundle of this project is built with (the worker bundling at
 * start, scripts/build-workflow-bundle.ts, the bench): zod is loaded once per worker and shared
 * by every workflow instead of once per cached workflow (src/shared/zod-preload.ts says why the
 * preload module warms it up first).
 */
export const workflowBundlerOptions: Pick<BundleOptions, 'preloadModules'> = {
  // An absolute path without extension: webpack finds the .ts file (Node's require.resolve would not under vitest).
  preloadModules: [path.join(__dirname, 'shared', 'zod-preload')],
};
