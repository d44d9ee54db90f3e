import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildEvidence, renderEvidenceHtml } from '../../client/evidence';
import { loanIdArg } from '../arguments';
import type { CommandContext } from '../session';

/** `collections evidence <loanId>`: a case's full record for court or complaint handling, JSON or printable HTML. */
export async function evidence(cli: CommandContext, loanIdRaw: string, options: { format?: 'json' | 'html'; out?: string }): Promise<void> {
  const exportedBy = cli.actor('supervisor'); // evidence packs are for supervisors when an operator is named
  const format = options.format ?? (options.out && /\.html?$/i.test(options.out) ? 'html' : 'json');
  const pack = await buildEvidence(await cli.session.cases(), loanIdArg(loanIdRaw), exportedBy, await cli.session.archive());
  const content = format === 'html' ? renderEvidenceHtml(pack) : `${JSON.stringify(pack, null, 2)}\n`;
  if (!options.out) return cli.io.stdout(content);
  const file = path.resolve(options.out);
  // The pack holds the debtor's personal data: readable by its owner only (chmod too, for a file that existed).
  await writeFile(file, content, { encoding: 'utf8', mode: 0o600 });
  await chmod(file, 0o600);
  if (cli.json) cli.printJson({ loanId: pack.loanId, format, out: file, bytes: Buffer.byteLength(content) });
  else cli.print(`Evidence pack for loan ${pack.loanId} written to ${file} (${format}).`);
}
