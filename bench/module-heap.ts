/**
 * What each module of the workflow bundle costs a cached workflow: the live heap its own
 * evaluation adds to every workflow that evaluates it (bench/README.md, memory, says how the
 * figures were used). Not part of `npm run bench`; run it with a forced GC at hand:
 *
 *   node --expose-gc --import tsx bench/module-heap.ts [instances]
 *
 * It builds the bench bundle with the project's bundler options and loads it into a `vm`
 * context the way the SDK's reusable V8 context does (src/workflow-bundle.ts): the preloaded
 * modules once, into a shared module cache; the workflow entry's modules into a module cache
 * per workflow. It then evaluates each per-workflow module afresh `instances` times (its
 * dependencies already loaded) and reads the heap growth per copy after forced GCs.
 */
import vm from 'node:vm';
import { bundleWorkflowCode } from '@temporalio/worker';
import { quietBundlerLogger } from '../scripts/tools/ephemeral-dev-server';
import { workflowBundlerOptions } from '../src/workflow-bundle';
import { BENCH_WORKFLOWS_ENTRY } from './config';

interface BundleExports {
  preloadModules?: () => void;
  importWorkflows: () => unknown;
  requireModule: (id: string) => unknown;
}

type ModuleCache = Map<string | symbol, unknown>;

function liveHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const instances = Number(process.argv[2] ?? 40);
  const { code } = await bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS_ENTRY, logger: quietBundlerLogger((m) => process.stderr.write(`${m}\n`)), ...workflowBundlerOptions });
  // Expose the bundle's require, to evaluate one module on its own.
  const exposed = code.replace('__TEMPORAL__ = __webpack_exports__;', '__webpack_exports__.requireModule = __webpack_require__; __TEMPORAL__ = __webpack_exports__;');
  if (exposed === code) throw new Error('unexpected bundle layout: no __TEMPORAL__ assignment');

  // The SDK's scheme: shared modules first, then the running workflow's own cache; new modules go to the latter once a workflow runs.
  const shared: ModuleCache = new Map();
  let perWorkflow: ModuleCache | undefined;
  const evaluated: string[] = [];
  const moduleCache = new Proxy(
    {},
    {
      get: (_, id) => shared.get(id) ?? perWorkflow?.get(id),
      set: (_, id, module) => {
        if (perWorkflow) {
          perWorkflow.set(id, module);
          if (typeof id === 'string') evaluated.push(id);
        } else shared.set(id, module);
        return true;
      },
      deleteProperty: (_, id) => perWorkflow?.delete(id) ?? true,
    },
  );
  const context = vm.createContext({});
  Object.defineProperty(context, '__webpack_module_cache__', { value: moduleCache });
  new vm.Script(exposed, { filename: 'workflow-bundle.js' }).runInContext(context);
  const bundle = vm.runInContext('__TEMPORAL__', context) as BundleExports;
  bundle.preloadModules?.();

  const first: ModuleCache = (perWorkflow = new Map());
  bundle.importWorkflows();
  const modules = [...evaluated];
  const keep: unknown[] = [];

  let before = liveHeap();
  for (let i = 0; i < instances; i++) {
    keep.push((perWorkflow = new Map()));
    bundle.importWorkflows();
  }
  const perWorkflowTotal = (liveHeap() - before) / instances;
  keep.length = 0;

  const rows: Array<{ module: string; bytes: number }> = [];
  for (const id of modules) {
    before = liveHeap();
    for (let i = 0; i < instances; i++) {
      perWorkflow = new Map(first);
      perWorkflow.delete(id);
      bundle.requireModule(id);
      keep.push(perWorkflow.get(id));
    }
    rows.push({ module: id, bytes: (liveHeap() - before) / instances });
    keep.length = 0;
  }
  perWorkflow = undefined;

  rows.sort((a, b) => b.bytes - a.bytes);
  const kib = (bytes: number) => (bytes / 1024).toFixed(1).padStart(7);
  for (const row of rows) process.stdout.write(`${kib(row.bytes)} KiB  ${row.module}\n`);
  process.stdout.write(
    `${shared.size} modules shared per worker, ${modules.length} evaluated per workflow: ${kib(perWorkflowTotal).trim()} KiB per workflow ` +
      `(sum of the modules' own figures ${kib(rows.reduce((sum, r) => sum + r.bytes, 0)).trim()} KiB; ${instances} copies each)\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`module-heap: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
