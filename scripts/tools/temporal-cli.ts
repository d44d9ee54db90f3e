/**
 * Finds or builds the Temporal CLI (`temporal`, which embeds the dev server).
 *
 * The SDK's own download of a server binary does not work everywhere (closed networks that
 * only reach package registries), so we build the CLI from its Go module instead:
 *   go install github.com/temporalio/cli/cmd/temporal@v1.5.1
 * once per machine, into the user's cache folder. Later tags do not build with `go install`
 * (replace directives), hence the pin.
 *
 * Resolution order:
 *   1. TEMPORAL_CLI_PATH (must run `--version`, else an error)
 *   2. `temporal` on PATH (used when it runs `--version`)
 *   3. ${XDG_CACHE_HOME:-~/.cache}/collections-orchestrator/temporal-cli/v1.5.1/temporal
 *   4. build 3. with `go install` (locked, staged, renamed into place)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

import {
  type ToolLog,
  defaultToolLog,
  findOnPath,
  isExecutableFile,
  makeStagingDir,
  runCapture,
  runStreaming,
  toolCacheRoot,
  withFileLock,
} from './tool-cache';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** From the module's go.mod (`go 1.25.0`); older toolchains refuse or try to download a newer one. */
const MIN_GO = '1.25';
const BUILD_TIMEOUT_MS = 30 * 60_000;

export function temporalCliCacheDir(): string {
  return path.join(toolCacheRoot(), 'temporal-cli', TEMPORAL_CLI_VERSION);
}

export function cachedTemporalCliPath(): string {
  return path.join(temporalCliCacheDir(), 'temporal');
}

/** `temporal --version` output, or undefined when the file does not run as a Temporal CLI. */
export async function temporalCliVersion(file: string): Promise<string | undefined> {
  const res = await runCapture(file, ['--version'], { timeoutMs: 30_000 });
  const out = res.stdout.trim();
  if (res.code !== 0 || !/temporal version/i.test(out)) return undefined;
  return out;
}

let memo: Promise<string> | undefined;

/** Path to a runnable `temporal` binary; builds it once per machine if needed. */
export function ensureTemporalCli(log: ToolLog = defaultToolLog): Promise<string> {
  // One resolution per process; a failed attempt may be retried.
  memo ??= resolveTemporalCli(log).catch((err: unknown) => {
    memo = undefined;
    throw err;
  });
  return memo;
}

async function resolveTemporalCli(log: ToolLog): Promise<string> {
  const override = process.env['TEMPORAL_CLI_PATH'];
  if (override) {
    const abs = path.resolve(override);
    if (!(await isExecutableFile(abs)) || !(await temporalCliVersion(abs))) {
      throw new Error(`TEMPORAL_CLI_PATH=${override} is not a runnable Temporal CLI (\`${abs} --version\` failed)`);
    }
    return abs;
  }

  const onPath = await findOnPath('temporal');
  if (onPath) {
    if (await temporalCliVersion(onPath)) return onPath;
    log(`ignoring ${onPath}: \`temporal --version\` did not run; using the cached build instead`);
  }

  const cached = cachedTemporalCliPath();
  if ((await isExecutableFile(cached)) && (await temporalCliVersion(cached))) return cached;

  const lockPath = `${temporalCliCacheDir()}.lock`;
  return withFileLock(lockPath, `building the Temporal CLI ${TEMPORAL_CLI_VERSION}`, log, async () => {
    // Another process may have finished the build while we waited for the lock.
    if ((await isExecutableFile(cached)) && (await temporalCliVersion(cached))) return cached;
    await buildTemporalCli(cached, log);
    return cached;
  });
}

async function buildTemporalCli(target: string, log: ToolLog): Promise<void> {
  const goVersion = await runCapture('go', ['version'], { timeoutMs: 60_000 });
  if (goVersion.code !== 0) {
    throw new Error(
      [
        'The Temporal CLI is not installed and cannot be built: the Go toolchain (`go`) was not found.',
        `Install Go ${MIN_GO} or newer (https://go.dev/doc/install; Debian/Ubuntu's golang package is usually too old),`,
        'or put a Temporal CLI on PATH as `temporal`, or set TEMPORAL_CLI_PATH to one.',
      ].join('\n'),
    );
  }

  const spec = `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`;
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from source with ${goVersion.stdout.trim()} (go install ${spec}).`);
  log(`This happens once per machine and takes a few minutes (3+ min on 2 cores with a cold Go cache); the binary is cached at ${target}.`);

  const finalDir = path.dirname(target);
  const staging = await makeStagingDir(finalDir);
  const started = Date.now();
  try {
    // A cold module cache prints ~350 "go: downloading <module>" lines: count them instead.
    let downloads = 0;
    const goLog: ToolLog = (line) => {
      if (line.includes('go: downloading ')) {
        downloads += 1;
        if (downloads === 1 || downloads % 100 === 0) log(`[go] downloading modules (${downloads} so far)...`);
        return;
      }
      log(line);
    };
    await runStreaming('go', ['install', spec], {
      env: { ...process.env, GOBIN: staging },
      cwd: staging, // outside any module, so `go install pkg@version` ignores the project's go.mod/go.work
      log: goLog,
      prefix: '[go]',
      timeoutMs: BUILD_TIMEOUT_MS,
    });
    if (downloads > 0) log(`[go] downloaded ${downloads} modules`);
    const built = path.join(staging, 'temporal');
    const version = await temporalCliVersion(built);
    if (!version) throw new Error(`go install finished but ${built} does not run \`--version\``);
    await fs.mkdir(finalDir, { recursive: true });
    await fs.rename(built, target); // atomic: a half-built binary is never at `target`
    log(`Built ${version} in ${Math.round((Date.now() - started) / 1000)} s -> ${target}`);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

// `tsx scripts/tools/temporal-cli.ts`: resolve (or build) the CLI and print its path, e.g. as a CI step.
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
