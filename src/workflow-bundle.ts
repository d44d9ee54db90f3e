import path from 'node:path';
import type { BundleOptions } from '@temporalio/worker';

/**
 * Bundler options every workflow bundle of this project is built with (the worker bundling at
 * start, scripts/build-workflow-bundle.ts, the bench).
 *
 * The SDK's reusable V8 context evaluates a bundle's modules once per workflow (each cached
 * case has its own module cache), except `preloadModules` and what they import: those are
 * evaluated once per worker, shared by every workflow, and deep-frozen. Shared here, each safe
 * under that freeze (bench/README.md, memory, has the figures):
 * - zod (src/shared/zod-preload.ts warms it up before the freeze);
 * - the case's schemas (src/shared/schemas.ts: built on first use, once per worker, never
 *   frozen), with the ISO 4217 table they check currencies against (src/shared/money.ts).
 */
export const workflowBundlerOptions: Pick<BundleOptions, 'preloadModules'> = {
  // Absolute paths without extension: webpack finds the .ts file (Node's require.resolve would not under vitest).
  preloadModules: [path.join(__dirname, 'shared', 'zod-preload'), path.join(__dirname, 'shared', 'schemas')],
};
