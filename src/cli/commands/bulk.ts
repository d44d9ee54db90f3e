import { createInterface } from 'node:readline/promises';
import type { BulkSignalName } from '../../client/bulk';
import { parseCaseQuery } from '../../client/visibility-filter';
import { instantOption } from '../arguments';
import { CliError, CliExit, EXIT } from '../errors';
import * as render from '../render';
import type { CommandContext } from '../session';

/** `collections bulk pause|resume --query ...`: a Temporal batch operation over the matching open cases, after a count and a confirmation. */
export async function bulkSignalCommand(
  cli: CommandContext,
  signal: BulkSignalName,
  options: { query: string; reason: string; dryRun?: boolean; yes?: boolean; until?: string },
): Promise<void> {
  const { io } = cli;
  // A strict parser, not the query text: only our search attributes reach Temporal (src/client/visibility-filter.ts).
  const filter = parseCaseQuery(options.query);
  const actor = cli.actor('supervisor');
  // The batch API (Temporal's protos) loads once the query and the operator are accepted.
  const { bulkSignal } = require('../../client/bulk') as typeof import('../../client/bulk');
  const client = await cli.session.client();
  const payload = options.until ? { until: instantOption(options.until, '--until') } : {};
  const common = { filter, signal, payload, actor, reason: options.reason };
  if (!options.dryRun && !options.yes) {
    const { matched } = await bulkSignal(client, { ...common, dryRun: true });
    if (matched === 0) {
      if (cli.json) cli.printJson({ matched: 0, dryRun: false });
      else cli.print(render.renderBulk(signal, { matched: 0, dryRun: false }));
      return;
    }
    if (!io.interactive || cli.json) throw new CliError(`${matched} open case${matched === 1 ? '' : 's'} match; add --yes to ${signal} them (or --dry-run to only count)`, EXIT.usage);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`${signal} ${matched} open case${matched === 1 ? '' : 's'}? Reason: "${options.reason}". [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('cancelled; nothing was sent', EXIT.failure);
  }
  const result = await bulkSignal(client, { ...common, dryRun: Boolean(options.dryRun) });
  if (cli.json) cli.printJson(result);
  else cli.print(render.renderBulk(signal, result));
  if (result.failed) throw new CliExit(EXIT.partial, `${result.failed} case${result.failed === 1 ? '' : 's'} could not be signalled (temporal batch describe --job-id ${result.jobId})`);
}
