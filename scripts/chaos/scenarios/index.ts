import type { Scenario } from '../scenario';
import { cacheOne } from './cache-one';
import { lostResponse } from './lost-response';
import { archiveDown } from './archive-down';
import { secretRotation } from './secret-rotation';
import { providerFaults } from './provider-faults';
import { replay } from './replay';
import { rollingRestart } from './rolling-restart';
import { serverKill } from './server-kill';
import { signalStorm, signalStormBeforeOpen } from './signal-storm';
import { temporalDown } from './temporal-down';
import { webhooks } from './webhooks';
import { workerKill } from './worker-kill';

/** The fault matrix of issue 12, in its order; replay runs last so it sees the histories recorded by the others. */
export const SCENARIOS: { number: number | string; scenario: Scenario }[] = [
  { number: 1, scenario: workerKill },
  { number: 2, scenario: lostResponse },
  { number: 3, scenario: providerFaults },
  { number: 4, scenario: serverKill },
  { number: 5, scenario: temporalDown },
  { number: 6, scenario: webhooks },
  { number: 7, scenario: archiveDown },
  { number: 8, scenario: cacheOne },
  { number: 9, scenario: rollingRestart },
  { number: 10, scenario: signalStorm },
  { number: '10b', scenario: signalStormBeforeOpen },
  { number: 12, scenario: secretRotation },
  { number: 11, scenario: replay },
];
