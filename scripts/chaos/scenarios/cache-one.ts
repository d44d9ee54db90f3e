import { runCases, scaled, type Scenario } from '../scenario';

/** 8. A worker that keeps one case in memory: nearly every task replays the case from history. */
export const cacheOne: Scenario = {
  id: 'cache-one',
  title: 'Worker cache of 1 (every task replays)',
  run: (ctx) =>
    runCases(ctx, 'c1', {
      count: scaled(ctx, 20, 3),
      maxCachedWorkflows: 1,
      faultsDescription: 'maxCachedWorkflows = 1',
      async faults() {
        await new Promise((resolve) => setTimeout(resolve, 20_000 * Math.max(ctx.scale, 0.5)));
        return 0;
      },
    }),
};
