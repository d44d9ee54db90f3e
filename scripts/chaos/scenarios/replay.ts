import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { REPO_ROOT } from '../stack';
import type { Scenario } from '../scenario';

export const HISTORIES_DIR = path.join(REPO_ROOT, 'test/histories');

/** 11. Every stored history (those recorded by the scenarios above included) replays on the current workflow code. */
export const replay: Scenario = {
  id: 'replay',
  title: 'Every stored history replayed on the current code',
  async run(ctx) {
    const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
    const histories = files.map((file) => ({ workflowId: file, history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'))) }));
    const problems: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: ctx.stack.workflowBundlePath } }, histories)) {
      replayed += 1;
      if (result.error) problems.push(`${result.workflowId}: ${result.error.message}`);
    }
    return {
      cases: replayed,
      faults: 0,
      faultsDescription: `${files.length} stored histories`,
      lost: 0,
      duplicated: 0,
      failed: problems.length,
      problems,
      notes: [`replayed: ${files.join(', ')}`],
    };
  },
};
