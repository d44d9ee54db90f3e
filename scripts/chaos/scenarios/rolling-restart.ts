import { randomDelay, runCases, scaled, type Scenario } from '../scenario';

/** 9. Two workers share the queue; each is stopped (SIGTERM, as a deploy does) and replaced in turn, several rounds. */
export const rollingRestart: Scenario = {
  id: 'rolling-restart',
  title: 'Rolling restart of two workers',
  run: (ctx) => {
    const rounds = scaled(ctx, 3);
    return runCases(ctx, 'rr', {
      count: scaled(ctx, 20, 2),
      workers: 2,
      faultsDescription: `${rounds} rounds x 2 graceful restarts`,
      async faults(s) {
        for (let round = 0; round < rounds; round += 1) {
          for (const index of [0, 1]) {
            await randomDelay(1_000, 4_000);
            await s.workers.restartGracefully(index);
          }
        }
        return rounds * 2;
      },
    });
  },
};
