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

/**
 * Scales every duration in seconds ("7s", "1.5s") of a policy by `factor`: the fast policy run
 * faster still, for end-to-end tests on a dev server whose timers take real time.
 */
export function scaleSeconds(policy: PolicyInput, factor: number): void {
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const m = /^(\d+(?:\.\d+)?)s$/.exec(node);
      return m ? `${Math.max(1, Math.round(Number(m[1]) * 1000 * factor))}ms` : node;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) (node as Record<string, unknown>)[key] = walk(value);
    }
    return node;
  };
  walk(policy);
}
