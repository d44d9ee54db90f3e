import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { describe, expect, inject, it } from 'vitest';

/**
 * The workflow bundle the suite's workers run (built by test/setup/global-setup.ts with the
 * project's bundler options, src/workflow-bundle.ts), loaded the way the SDK's reusable V8
 * context loads it: the preloaded modules into one shared module cache, then the workflow
 * entry into a cache of its own, as each workflow gets. What lands in that second cache is
 * evaluated again for every cached case (bench/README.md, memory).
 */
function modulesEvaluatedPerWorkflow(code: string): { shared: string[]; perWorkflow: string[] } {
  const shared = new Map<string | symbol, unknown>();
  const perWorkflow = new Map<string | symbol, unknown>();
  let workflowRunning = false;
  const moduleCache = new Proxy(
    {},
    {
      get: (_, id) => shared.get(id) ?? perWorkflow.get(id),
      set: (_, id, module) => {
        (workflowRunning ? perWorkflow : shared).set(id, module);
        return true;
      },
      deleteProperty: (_, id) => perWorkflow.delete(id),
    },
  );
  const context = vm.createContext({});
  Object.defineProperty(context, '__webpack_module_cache__', { value: moduleCache });
  new vm.Script(code, { filename: 'workflow-bundle.js' }).runInContext(context);
  const bundle = vm.runInContext('__TEMPORAL__', context) as { preloadModules?: () => void; importWorkflows: () => unknown };
  bundle.preloadModules?.();
  workflowRunning = true;
  bundle.importWorkflows();
  const ids = (cache: Map<string | symbol, unknown>) => [...cache.keys()].filter((id): id is string => typeof id === 'string');
  return { shared: ids(shared), perWorkflow: ids(perWorkflow) };
}

describe('the workflow bundle', () => {
  const code = readFileSync(inject('workflowBundlePath'), 'utf8');
  const { shared, perWorkflow } = modulesEvaluatedPerWorkflow(code);

  it('evaluates per workflow only the workflow layer and the SDK', () => {
    const ours = perWorkflow.filter((id) => !id.startsWith('./node_modules/@temporalio/'));
    for (const id of ours) expect(id).toMatch(/^\.\/src\/(workflows\/[\w-]+\.ts|shared\/(messages|search-attributes)\.ts)$/);
    expect(ours).toContain('./src/workflows/collection-case.ts');
  });

  it('shares zod, the schemas and the case engine once per worker', () => {
    for (const id of ['./src/shared/schemas.ts', './src/shared/money.ts', './src/domain/decide.ts', './src/domain/apply.ts', './src/domain/transitions.ts']) expect(shared).toContain(id);
    expect(shared.some((id) => id.startsWith('./node_modules/zod/'))).toBe(true);
    expect(perWorkflow.some((id) => id.startsWith('./node_modules/zod/'))).toBe(false);
  });

  it('loads luxon only when a workflow needs it, and leaves out what the workflow never runs', () => {
    expect([...shared, ...perWorkflow].filter((id) => id.includes('/luxon/'))).toEqual([]);
    expect(code).not.toContain('"./src/shared/archive.ts"');
    expect(code).not.toContain('"./src/shared/case-memo.ts"');
  });
});
