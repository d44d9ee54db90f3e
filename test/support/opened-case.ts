import path from 'node:path';
import { openCase, type CaseData } from '../../src/domain/case-state';
import { planCase } from '../../src/domain/plan-case';
import { assignPlan, noteOpening } from '../../src/domain/transitions';
import { loadPolicyFile } from '../../src/policy/load';
import type { CaseInput } from '../../src/shared/schemas';

/** The engine's table tests: a case opened on the default policy at a fixed instant, with no Temporal in sight. */

export const DEFAULT_POLICY = loadPolicyFile(path.resolve(__dirname, '../../policies/default.yaml'));
export const OPENED = '2026-11-02T02:00:00.000Z';
export const T0 = Date.parse(OPENED);

/** The state of `input` once the workflow has opened it and taken its plan; `tweak` then sets up the row's situation. */
export function openedCase(input: CaseInput, tweak: (d: CaseData) => void = () => undefined, options: { noteOpening?: boolean } = {}): CaseData {
  const d = openCase(input, OPENED);
  if (options.noteOpening) noteOpening(d, T0);
  assignPlan(d, planCase(DEFAULT_POLICY, d.input, OPENED), T0, { caseSafety: true });
  tweak(d);
  return d;
}
