import type { CaseArchive } from '../../archive/case-archive';
import { rebuildArchive } from '../../client/archive-rebuild';
import { CliError, CliExit, EXIT } from '../errors';
import type { CommandContext } from '../session';

/** `collections archive rebuild | purge` (spec section 11). */

async function needArchive(cli: CommandContext): Promise<CaseArchive> {
  const archive = await cli.session.archive();
  if (!archive) throw new CliError('DATABASE_URL is not set: there is no case archive to work on', EXIT.usage);
  return archive;
}

export async function rebuild(cli: CommandContext, options: { concurrency: number; query?: string }): Promise<void> {
  const store = await needArchive(cli);
  const began = performance.now();
  const result = await rebuildArchive(await cli.session.cases(), store, { concurrency: options.concurrency, query: options.query });
  const seconds = (performance.now() - began) / 1000;
  if (cli.json) cli.printJson({ ...result, seconds });
  else {
    cli.print(`Archive rebuilt from Temporal: ${result.cases} case${result.cases === 1 ? '' : 's'}, ${result.events} timeline events, in ${seconds.toFixed(1)} s.`);
    for (const f of result.failed) cli.print(`  ${f.loanId}: ${f.reason}`);
  }
  if (result.failed.length > 0) throw new CliExit(EXIT.partial, `${result.failed.length} case${result.failed.length === 1 ? '' : 's'} could not be rebuilt`);
}

export async function purge(cli: CommandContext, options: { before: Date; dryRun?: boolean }): Promise<void> {
  const store = await needArchive(cli);
  const result = await store.purgeClosedBefore(options.before, Boolean(options.dryRun));
  if (cli.json) cli.printJson({ before: options.before.toISOString(), dryRun: Boolean(options.dryRun), ...result });
  else cli.print(`${options.dryRun ? 'Would delete' : 'Deleted'} ${result.cases} closed case${result.cases === 1 ? '' : 's'} (${result.events} timeline events) closed before ${options.before.toISOString()}.`);
}
