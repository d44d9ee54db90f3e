import { randomDelay, runCases, scaled, type Scenario } from '../scenario';

/** 4. The Temporal server is `kill -9`ed and restarted on the same SQLite database while cases run. */
export const serverKill: Scenario = {
  id: 'server-kill',
  title: 'Temporal server kill -9, restart on the same database',
  run: (ctx) => {
    const kills = scaled(ctx, 3);
    return runCases(ctx, 'sk', {
      count: scaled(ctx, 20, 2),
      faultsDescription: `${kills} x Temporal server SIGKILL + restart`,
      async faults(_s, _inputs, _problems, notes) {
        for (let i = 0; i < kills; i += 1) {
          await randomDelay(3_000, 8_000);
          await ctx.stack.server.kill9();
          const down = Date.now();
          await randomDelay(1_000, 3_000);
          await ctx.stack.server.up();
          notes.push(`server down ${((Date.now() - down) / 1000).toFixed(1)} s`);
        }
        return kills;
      },
    });
  },
};
