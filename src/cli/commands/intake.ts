import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { importCsvFile, IntakeError, type ImportProgress } from '../../client/intake';
import { triggerIntakeSchedule, upsertIntakeSchedule } from '../../client/intake-schedule';
import { CliExit, EXIT } from '../errors';
import * as render from '../render';
import type { CommandContext } from '../session';

/** `collections import <file>`: a case per row, a progress bar on a terminal, exit 5 when rows were rejected. */
export async function importFile(cli: CommandContext, file: string, options: { concurrency: number; policy?: string }): Promise<void> {
  const { session, io } = cli;
  const cases = await session.cases({ admits: true });
  const bar = io.interactive && !cli.json ? new SingleBar({ format: 'import {bar} {value}/{total} rows | opened {opened} | already open {alreadyOpen} | rejected {rejected} | {eta_formatted} left', stream: process.stderr, hideCursor: true }) : undefined;
  let started = false;
  const onProgress = (p: ImportProgress) => {
    if (!bar) return;
    const payload = { opened: p.opened, alreadyOpen: p.alreadyOpen, rejected: p.rejected };
    if (!started) {
      bar.start(p.total, p.done, payload);
      started = true;
    } else bar.update(p.done, payload);
  };
  const began = performance.now();
  let summary;
  try {
    summary = await importCsvFile(cases, path.resolve(file), { concurrency: options.concurrency, policyId: options.policy, onProgress });
  } catch (error) {
    bar?.stop();
    if (error instanceof IntakeError && error.partial) {
      if (cli.json) cli.printJson(error.partial);
      else cli.print(render.renderImport(error.partial, (performance.now() - began) / 1000));
    }
    throw error;
  }
  bar?.stop();
  const seconds = (performance.now() - began) / 1000;
  session.logger.info({ file, opened: summary.opened, alreadyOpen: summary.alreadyOpen, rejected: summary.rejected.length, seconds }, 'import finished');
  if (cli.json) cli.printJson(summary);
  else cli.print(render.renderImport(summary, seconds));
  if (summary.rejected.length > 0) throw new CliExit(EXIT.partial, `${summary.rejected.length} row${summary.rejected.length === 1 ? '' : 's'} rejected (see the ${cli.json ? '"rejected" list' : 'table above'})`);
}

/** `collections schedule-intake`: create or update the daily intake schedule, optionally run a sweep now. */
export async function scheduleIntake(
  cli: CommandContext,
  options: { folder: string; cron: string; timezone: string; policy?: string; scheduleId: string; trigger?: boolean },
): Promise<void> {
  const client = await cli.session.client();
  const result = await upsertIntakeSchedule(client, {
    folder: path.resolve(options.folder),
    cron: options.cron,
    timezone: options.timezone,
    policyId: options.policy,
    scheduleId: options.scheduleId,
    taskQueue: cli.session.env.TASK_QUEUE,
  });
  if (options.trigger) await triggerIntakeSchedule(client, result.scheduleId);
  if (cli.json) cli.printJson({ ...result, triggered: Boolean(options.trigger) });
  else cli.print(`${render.renderSchedule(result)}${options.trigger ? '\nA sweep was started now.' : ''}`);
}
