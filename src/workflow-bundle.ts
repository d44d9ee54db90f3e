import path from 'node:path';
import type { BundleOptions } from '@temporalio/worker';

/**
 * Modules evaluated once per worker and shared by every workflow, instead of once per cached
 * workflow. The SDK's reusable V8 context gives each workflow its own module cache, except for
 * `preloadModules` and what they import: those are shared and deep-frozen (their exports, and
 * what those reach through properties; not closures, Maps or Sets). A module belongs here only
 * if that is safe: no module-level state that one workflow could change for another, and no
 * exported object that anything mutates. bench/README.md (memory) has the figures.
 * - zod (src/shared/zod-preload.ts warms it up before the freeze);
 * - the case's schemas (src/shared/schemas.ts: each built on first use, once per worker, and
 *   never frozen), with the ISO 4217 table (money.ts) and the timeline vocabulary;
 * - the case engine the workflow calls (pure functions of the case's state, src/domain) and
 *   the shared helpers it uses. luxon is not shared: src/domain/local-time.ts loads it on first
 *   use into the calling workflow's own module cache (it keeps mutable module-level caches).
 * The SDK's own modules and src/workflows/* stay per workflow.
 */
const SHARED_MODULES = [
  'shared/zod-preload',
  'shared/schemas',
  'shared/ids',
  'shared/redact',
  'domain/apply',
  'domain/case-archive',
  'domain/case-state',
  'domain/case-status',
  'domain/decide',
  'domain/provider-failures',
  'domain/provider-requests',
  'domain/steps',
  'domain/transitions',
];

/**
 * Bundler options every workflow bundle of this project is built with (the worker bundling at
 * start, scripts/build-workflow-bundle.ts, the tests, the bench).
 */
export const workflowBundlerOptions: Pick<BundleOptions, 'preloadModules'> = {
  // Absolute paths without extension: webpack finds the .ts file (Node's require.resolve would not under vitest).
  preloadModules: SHARED_MODULES.map((module) => path.join(__dirname, ...module.split('/'))),
};
