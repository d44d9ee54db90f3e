/**
 * `npm run chaos`: the fault matrix of issue 12 (spec section 13) against a real stack,
 * judged by the provider's ledger and the cases' own state. Prints a table, writes
 * docs/reliability.md and records one history per scenario under test/histories.
 *
 *   npm run chaos                          # everything, full size
 *   npm run chaos -- --only worker-kill,webhooks --scale 0.2   # a quick look; docs untouched
 *
 * Exits 1 when a scenario fails.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runMatrix } from './matrix';
import { markdown, table } from './report';
import { SCENARIOS } from './scenarios';
import { REPO_ROOT } from './stack';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      scale: { type: 'string', default: '1' },
    },
  });
  const scale = Number(values.scale);
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${values.scale}`);
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.scenario.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.scenario.id).join(', ')}`);
  const scenarios = only ? SCENARIOS.filter((s) => only.includes(s.scenario.id)) : SCENARIOS;
  const complete = !only && scale === 1;

  const startedAt = new Date();
  const log = (message: string) => void process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  const rows = await runMatrix({ scenarios, scale, recordHistories: complete, log });
  const totalSeconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  process.stdout.write(`${table(rows)}\n`);
  if (complete) {
    const file = path.join(REPO_ROOT, 'docs/reliability.md');
    await fs.writeFile(file, markdown(rows, 'npm run chaos', startedAt, totalSeconds));
    log(`wrote ${path.relative(REPO_ROOT, file)}`);
  }
  process.exitCode = rows.some((r) => r.outcome === 'FAIL') ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
