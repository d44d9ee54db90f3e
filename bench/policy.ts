import { promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { FAST_POLICY } from './config';

/**
 * The lifecycle benchmark's policy: policies/fast.yaml with one minute per day instead of
 * one second (ladder offsets and the survey window times 60). Still time-compressed, but a
 * loaded machine cannot let a case's first step (fast: 1 s after opening) or its survey
 * window (fast: 5 s) go by before the bench's payment or answer arrives, which would
 * change the case's shape against its twin's.
 */
export async function writeBenchPolicy(dir: string): Promise<string> {
  const policy = YAML.parse(await fs.readFile(FAST_POLICY, 'utf8')) as {
    id: string;
    version: string;
    ladders: Record<string, { steps: { at: string; repeatEvery?: string }[] }>;
    survey: { window: string };
  };
  const minutes = (duration: string) => {
    const match = /^(\d+)s$/.exec(duration);
    if (!match) throw new Error(`bench policy: expected seconds in fast.yaml, got "${duration}"`);
    return `${Number(match[1])}m`;
  };
  policy.id = 'bench';
  policy.version = `${policy.version}-bench`;
  for (const ladder of Object.values(policy.ladders)) {
    for (const step of ladder.steps) {
      step.at = minutes(step.at);
      if (step.repeatEvery) step.repeatEvery = minutes(step.repeatEvery);
    }
  }
  policy.survey.window = minutes(policy.survey.window);
  const file = path.join(dir, 'bench-policy.yaml');
  await fs.writeFile(file, YAML.stringify(policy));
  return file;
}
