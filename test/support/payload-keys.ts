import type { DataConverter } from '@temporalio/common';
import { inject } from 'vitest';
import { createDataConverter } from '../../src/data-converter';
import { loadPayloadKeys } from '../../src/payload-codec';

/** The suite's data converter: the production codec with the key file global setup wrote. */
export function testDataConverter(): DataConverter {
  const file = inject('payloadKeysFile');
  if (!file) throw new Error('no payload key file: global setup did not run (TEMPORAL_TESTS=off?)');
  return createDataConverter(loadPayloadKeys(file));
}
