import { randomDelay, runCases, scaled, type Scenario } from '../scenario';

/** 1. The worker is `kill -9`ed at random instants while the cases escalate; a new one starts each time. */
export const workerKill: Scenario = {
  id: 'worker-kill',
  title: 'Worker kill -9 at random instants',
  run: (ctx) => {
    const kills = scaled(ctx, 20);
    return runCases(ctx, 'wk', {
      count: scaled(ctx, 50, 2),
      faultsDescription: `${kills} x worker SIGKILL`,
      async faults(s) {
        for (let i = 0; i < kills; i += 1) {
          await randomDelay(500, 3_000);
          await s.workers.kill9AndRestart(0);
        }
        return kills;
      },
    });
  },
};
