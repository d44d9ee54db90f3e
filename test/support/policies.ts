import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { PolicyInput } from '../../src/policy/schema';

/** Writes a variant of a shipped policy (changed by `change`) to a temp file and returns its path. */
export function derivePolicy(base: string, change: (policy: PolicyInput) => void): string {
  const policy = parse(readFileSync(base, 'utf8')) as PolicyInput;
  change(policy);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'policy-')), `${policy.id}.yaml`);
  writeFileSync(file, stringify(policy));
  return file;
}

/** Sets `repeatEvery` on every call step of every ladder. */
export function callEvery(policy: PolicyInput, interval: string): void {
  for (const ladder of Object.values(policy.ladders)) {
    for (const step of ladder.steps) if (step.channel === 'call') step.repeatEvery = interval;
  }
}
