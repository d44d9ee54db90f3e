import { statusQuery, timelineQuery } from '../../../src/shared/messages';
import { randomDelay, runCases, scaled, type Scenario } from '../scenario';

const ARCHIVE_CATCH_UP_MS = 120_000;

/**
 * 7. The archive's PostgreSQL is stopped for a minute while cases escalate: the cases go on
 * (a database outage delays the archive, never the case), and once it is back the archive
 * catches up: every case's archived timeline and figures equal its own.
 */
export const archiveDown: Scenario = {
  id: 'archive-down',
  title: 'Archive database down for a minute',
  run: (ctx) => {
    const outageMs = Math.max(10_000, Math.round(60_000 * ctx.scale));
    return runCases(ctx, 'ad', {
      count: scaled(ctx, 10, 2),
      faultsDescription: `PostgreSQL stopped ${Math.round(outageMs / 1000)} s`,
      async faults(s, inputs, problems, notes) {
        await randomDelay(2_000, 4_000);
        await ctx.stack.database.stop();
        const down = Date.now();
        const before = ctx.stack.sandbox.ledger().deliveries.length;
        await new Promise((resolve) => setTimeout(resolve, outageMs));
        notes.push(`${ctx.stack.sandbox.ledger().deliveries.length - before} deliveries while the archive was down`);
        await ctx.stack.database.start();
        notes.push(`archive down ${((Date.now() - down) / 1000).toFixed(1)} s`);
        s.afterSettle(async () => {
          // The archive catches up with every case (the last write after the case closed).
          const deadline = Date.now() + ARCHIVE_CATCH_UP_MS;
          let behind: string[] = [];
          do {
            behind = [];
            for (const input of inputs) {
              const handle = ctx.stack.client.workflow.getHandle(`collection-${input.loanId}`);
              const [status, timeline, record] = await Promise.all([handle.query(statusQuery), handle.query(timelineQuery), ctx.stack.archive.caseRecord(input.loanId)]);
              const same = record && record.timeline.length === timeline.length && record.case.paidMinor === status.paidMinor && record.case.outstandingMinor === status.outstandingMinor && record.case.outcome === status.outcome;
              if (!same) behind.push(`${input.loanId}: archive ${record ? `${record.timeline.length} events, paid ${record.case.paidMinor}, outcome ${record.case.outcome ?? '-'}` : 'no row'}; case ${timeline.length} events, paid ${status.paidMinor}, outcome ${status.outcome ?? '-'}`);
            }
            if (behind.length > 0) await new Promise((resolve) => setTimeout(resolve, 2_000));
          } while (behind.length > 0 && Date.now() < deadline);
          problems.push(...behind.map((b) => `archive behind the case: ${b}`));
        });
        return 1;
      },
    });
  },
};
