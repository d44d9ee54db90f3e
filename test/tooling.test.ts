import { Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { describe, expect, inject, it } from 'vitest';

import { runCapture } from '../scripts/tools/tool-cache';
import { ensureTemporalCli } from '../scripts/tools/temporal-cli';
import { SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';
import { createTimeSkippingEnv } from './setup/time-skipping';

/** temporal.api.enums.v1.IndexedValueType, by the names TypedSearchAttributes.toMetadataType gives. */
const INDEXED_VALUE_TYPE: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 };

/** The dev/test tooling itself: CLI, the suite's dev server, the time-skipping server. */
describe('tooling', () => {
  it('ensureTemporalCli returns a runnable Temporal CLI', async () => {
    const cli = await ensureTemporalCli();
    const res = await runCapture(cli, ['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/temporal version/i);
  });

  it('the suite dev server has every case search attribute registered with its type', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const res = await connection.operatorService.listSearchAttributes({ namespace: inject('temporalNamespace') });
      const registered = res.customAttributes ?? {};
      for (const key of SEARCH_ATTRIBUTES) {
        const expected = TypedSearchAttributes.toMetadataType(key.type); // e.g. "Keyword", "Int"
        const actual = registered[key.name];
        expect(actual, `search attribute ${key.name}`).toBeDefined();
        expect(actual, `type of search attribute ${key.name}`).toBe(INDEXED_VALUE_TYPE[expected]);
      }
      expect(SEARCH_ATTRIBUTES).toHaveLength(10);
    } finally {
      await connection.close();
    }
  });

  it('a time-skipping environment skips 30 days in well under a second of wall time', async () => {
    const t0 = performance.now();
    const env = await createTimeSkippingEnv();
    const startMs = performance.now() - t0;
    try {
      const before = await env.currentTimeMs();
      const t1 = performance.now();
      await env.sleep('30 days');
      const sleepMs = performance.now() - t1;
      const after = await env.currentTimeMs();
      const skippedDays = (after - before) / 86_400_000;
      console.info(`time-skipping server: started in ${startMs.toFixed(0)} ms; skipped ${skippedDays.toFixed(3)} days in ${sleepMs.toFixed(0)} ms of wall time`);
      expect(skippedDays).toBeGreaterThanOrEqual(30);
      expect(skippedDays).toBeLessThan(31);
      // Generous bound (typically ~10 ms); the report above gives the real number.
      expect(sleepMs).toBeLessThan(5_000);
    } finally {
      await env.teardown();
    }
  });
});
