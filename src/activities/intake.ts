import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { CaseService } from '../client/case-service';
import { importRows, IntakeError, parseIntakeCsv, type ImportProgress } from '../client/intake';
import type { IntakeFileResult, IntakeSweepInput, IntakeSweepResult } from '../shared/intake';

/**
 * The daily intake's activity: every `*.csv` waiting in the intake folder is imported (the
 * same code as `collections import`) and then moved to `processed/`, with the full import
 * summary next to it (`<file>.result.json`). A file whose header is unusable goes to
 * `failed/` with the reason. Re-running is safe: opening is idempotent, and a file whose
 * content was already processed is skipped (its duplicate is removed from the inbox).
 */
export interface IntakeActivityDeps {
  cases: CaseService;
  logger: Logger;
}

const RESULT_ROWS = 20;
const HEARTBEAT_EVERY_ROWS = 100;

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** `processed/<name>`, or `processed/<stem>-<hash><ext>` when another file of that name was processed before. Undefined: this content is already there. */
async function destination(dir: string, name: string, hash: string): Promise<string | undefined> {
  const ext = path.extname(name);
  const candidates = [name, `${path.basename(name, ext)}-${hash.slice(0, 12)}${ext}`];
  for (const candidate of candidates) {
    const target = path.join(dir, candidate);
    if (!(await exists(target))) return target;
    if ((await sha256(target)) === hash) return undefined;
  }
  return path.join(dir, `${path.basename(name, ext)}-${hash}${ext}`);
}

export function createIntakeActivities({ cases, logger }: IntakeActivityDeps) {
  return {
    async importPendingFiles(input: IntakeSweepInput): Promise<IntakeSweepResult> {
      const folder = path.resolve(input.folder);
      const log = logger.child({ activity: 'importPendingFiles', folder });
      let entries: string[];
      try {
        entries = await readdir(folder);
      } catch (error) {
        throw ApplicationFailure.nonRetryable(`intake folder ${folder} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'IntakeFolderUnreadable');
      }
      const names = entries.filter((n) => n.toLowerCase().endsWith('.csv')).sort();
      const processedDir = path.join(folder, 'processed');
      const failedDir = path.join(folder, 'failed');
      const context = Context.current();
      const results: IntakeFileResult[] = [];

      for (const name of names) {
        const file = path.join(folder, name);
        if (!(await stat(file)).isFile()) continue;
        const content = await readFile(file);
        const hash = createHash('sha256').update(content).digest('hex');
        await mkdir(processedDir, { recursive: true });
        const target = await destination(processedDir, name, hash);
        if (!target) {
          log.info({ file: name }, 'file already processed; removing the duplicate from the inbox');
          await rm(file);
          results.push({ file: name, status: 'skipped', opened: 0, alreadyOpen: 0, rejectedCount: 0, rejected: [] });
          continue;
        }

        let lastBeat = 0;
        const onProgress = (p: ImportProgress) => {
          if (p.done - lastBeat >= HEARTBEAT_EVERY_ROWS || p.done === p.total) {
            lastBeat = p.done;
            context.heartbeat({ file: name, done: p.done, total: p.total });
          }
        };
        try {
          const parsed = await parseIntakeCsv(content, { policyId: input.policyId });
          const summary = await importRows(cases, parsed, { concurrency: input.concurrency, policyId: input.policyId, onProgress, signal: context.cancellationSignal });
          await writeFile(`${target}.result.json`, `${JSON.stringify({ file: name, sha256: hash, importedAt: new Date().toISOString(), ...summary }, null, 2)}\n`);
          await rename(file, target);
          const relative = path.relative(folder, target);
          log.info({ file: name, movedTo: relative, opened: summary.opened, alreadyOpen: summary.alreadyOpen, rejected: summary.rejected.length }, 'intake file imported');
          results.push({
            file: name,
            status: 'imported',
            movedTo: relative,
            opened: summary.opened,
            alreadyOpen: summary.alreadyOpen,
            rejectedCount: summary.rejected.length,
            rejected: summary.rejected.slice(0, RESULT_ROWS),
          });
        } catch (error) {
          // Temporal trouble (or cancellation): the activity fails and is retried; the file stays in the inbox.
          if (!(error instanceof IntakeError) || error.code === 'aborted') throw error;
          await mkdir(failedDir, { recursive: true });
          const failedTarget = await destination(failedDir, name, hash);
          if (failedTarget) {
            await writeFile(`${failedTarget}.error.txt`, `${error.message}\n`);
            await rename(file, failedTarget);
          } else {
            await rm(file); // the same unusable content was already set aside
          }
          log.warn({ file: name, err: error.message }, 'intake file unusable; moved to failed/');
          results.push({ file: name, status: 'failed', movedTo: failedTarget && path.relative(folder, failedTarget), opened: 0, alreadyOpen: 0, rejectedCount: 0, rejected: [], error: error.message });
        }
      }
      return { folder, files: results };
    },
  };
}

export type IntakeActivities = ReturnType<typeof createIntakeActivities>;
