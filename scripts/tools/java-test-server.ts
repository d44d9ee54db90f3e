/**
 * Finds or installs Temporal's time-skipping test server, the Java one published on Maven
 * Central as io.temporal:temporal-test-server, for `TestWorkflowEnvironment.createTimeSkipping`
 * with `executable: { type: 'existing-path', path }` (the SDK's own download of a native build
 * does not work on machines that only reach package registries).
 *
 * Layout, under ${XDG_CACHE_HOME:-~/.cache}/collections-orchestrator/temporal-test-server/<version>/:
 *   lib/*.jar              the artifact and its runtime dependencies (resolved by Maven)
 *   temporal-test-server   POSIX sh wrapper: exec java -cp <jars> io.temporal.testserver.TestServer "$@"
 *   app.jsa                AppCDS archive made at install time (start-up ~1.7 s -> ~0.6 s); optional
 *   install.json           written last: its presence means the install is complete and verified
 *
 * How the SDK runs it (sdk-core `ephemeral_server::TestServerConfig`, TS SDK 1.24.0):
 *   argv = [<port>, ...extraArgs]   (extraArgs is empty unless the caller passes `server.extraArgs`)
 * it then polls gRPC on 127.0.0.1:<port> every 100 ms for at most 5 s, and on teardown SIGKILLs
 * that one PID. TestServer accepts `<port> [--enable-time-skipping]`; the wrapper passes "$@"
 * through unchanged and `exec`s the JVM so the SIGKILL hits the JVM (no orphaned java process).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';

import {
  type ToolLog,
  defaultToolLog,
  fileExists,
  getFreePort,
  isExecutableFile,
  makeStagingDir,
  runCapture,
  runStreaming,
  tcpPortOpen,
  toolCacheRoot,
  withFileLock,
} from './tool-cache';

/**
 * Newest release on Maven Central when pinned (checked with maven-metadata.xml). Its classes are
 * Java 8 bytecode (class file major 52) like all its runtime dependencies, so it runs on Java 17.
 */
export const TEMPORAL_TEST_SERVER_VERSION = '1.38.0';
const ARTIFACT = `io.temporal:temporal-test-server:${TEMPORAL_TEST_SERVER_VERSION}`;
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
/** Silences SLF4J's "no binding" warning on every start; matches temporal-sdk's slf4j-api 1.7.x. */
const SLF4J_NOP = { groupId: 'org.slf4j', artifactId: 'slf4j-nop', version: '1.7.36' };
const MAIN_CLASS = 'io.temporal.testserver.TestServer';
const WRAPPER_NAME = 'temporal-test-server';
const MANIFEST_NAME = 'install.json';
/** Bump when the wrapper or the folder layout changes: older installs are then redone. */
const INSTALL_FORMAT = 1;
/** C1 only + serial GC: faster start-up, plenty for a test server; bounded heap for parallel test forks. */
const JVM_OPTS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms64m -Xmx1g';

export function javaTestServerDir(): string {
  return path.join(toolCacheRoot(), 'temporal-test-server', TEMPORAL_TEST_SERVER_VERSION);
}

export function javaTestServerWrapperPath(): string {
  return path.join(javaTestServerDir(), WRAPPER_NAME);
}

let memo: Promise<string> | undefined;

/** Path to an executable that starts the time-skipping test server as `<path> <port>`. */
export function ensureJavaTestServer(log: ToolLog = defaultToolLog): Promise<string> {
  memo ??= resolveJavaTestServer(log).catch((err: unknown) => {
    memo = undefined;
    throw err;
  });
  return memo;
}

async function isInstalled(dir: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST_NAME), 'utf8')) as { format?: unknown };
    return manifest.format === INSTALL_FORMAT && (await isExecutableFile(path.join(dir, WRAPPER_NAME)));
  } catch {
    return false;
  }
}

async function resolveJavaTestServer(log: ToolLog): Promise<string> {
  const dir = javaTestServerDir();
  const wrapper = javaTestServerWrapperPath();
  if (await isInstalled(dir)) {
    await requireJava();
    return wrapper;
  }
  return withFileLock(`${dir}.lock`, `installing the Temporal test server ${TEMPORAL_TEST_SERVER_VERSION}`, log, async () => {
    if (await isInstalled(dir)) return wrapper;
    await install(dir, log);
    return wrapper;
  });
}

async function requireJava(): Promise<string> {
  const javaHome = process.env['JAVA_HOME'];
  const java = javaHome && (await isExecutableFile(path.join(javaHome, 'bin', 'java'))) ? path.join(javaHome, 'bin', 'java') : 'java';
  const res = await runCapture(java, ['-version'], { timeoutMs: 60_000 });
  if (res.code !== 0) {
    throw new Error(
      [
        'The Temporal time-skipping test server needs Java, and `java -version` failed.',
        'Install a JDK or JRE 11+ (17 is what we test with), e.g. `apt-get install openjdk-17-jre-headless`, or set JAVA_HOME.',
      ].join('\n'),
    );
  }
  // `java -version` prints to stderr, first line: openjdk version "17.0.15" 2025-04-15
  return (res.stderr || res.stdout).split('\n')[0]?.trim() ?? 'java';
}

async function requireMaven(): Promise<string> {
  const res = await runCapture('mvn', ['-v'], { timeoutMs: 120_000 });
  if (res.code !== 0) {
    throw new Error(
      [
        `The Temporal time-skipping test server (${ARTIFACT}) is resolved from Maven Central with Maven, and \`mvn -v\` failed.`,
        'Install Apache Maven 3.6+ (e.g. `apt-get install maven`).',
      ].join('\n'),
    );
  }
  // eslint-disable-next-line no-control-regex
  return res.stdout.split('\n')[0]?.replace(/\x1b\[[0-9;]*m/g, '').trim() ?? 'mvn';
}

function resolverPom(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/tools/java-test-server.ts: resolves the test server's runtime classpath. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.collections-orchestrator</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEMPORAL_TEST_SERVER_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>${SLF4J_NOP.groupId}</groupId>
      <artifactId>${SLF4J_NOP.artifactId}</artifactId>
      <version>${SLF4J_NOP.version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

function wrapperScript(jars: readonly string[]): string {
  const cp = jars.map((j) => `$DIR/lib/${j}`).join(':');
  return `#!/bin/sh
# Temporal time-skipping test server ${TEMPORAL_TEST_SERVER_VERSION} (${ARTIFACT}, from Maven Central).
# Generated by scripts/tools/java-test-server.ts; delete this folder to reinstall.
#
# Usage: ${WRAPPER_NAME} <port> [--enable-time-skipping]
# The Temporal SDK runs it as "<this file> <port> [extraArgs...]" and SIGKILLs this PID on
# teardown, hence "exec": the JVM replaces the shell, so nothing is left behind.
# Extra JVM options: TEMPORAL_TEST_SERVER_JAVA_OPTS (word-split).
DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P) || exit 1
if [ -n "\${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
CP="${cp}"
if [ -f "$DIR/app.jsa" ] && [ -z "\${TEMPORAL_TEST_SERVER_NO_CDS:-}" ]; then
  # Class-data sharing archive made at install time; a JVM that cannot use it silently ignores it.
  # shellcheck disable=SC2086
  exec "$JAVA" ${JVM_OPTS} "-XX:SharedArchiveFile=$DIR/app.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off \${TEMPORAL_TEST_SERVER_JAVA_OPTS:-} -cp "$CP" ${MAIN_CLASS} "$@"
fi
# shellcheck disable=SC2086
exec "$JAVA" ${JVM_OPTS} \${TEMPORAL_TEST_SERVER_JAVA_OPTS:-} -cp "$CP" ${MAIN_CLASS} "$@"
`;
}

async function install(dir: string, log: ToolLog): Promise<void> {
  const javaVersion = await requireJava();
  const mvnVersion = await requireMaven();
  log(`Installing the Temporal time-skipping test server ${ARTIFACT} with ${mvnVersion} (${javaVersion}).`);
  log(`Once per machine: downloads ~40 MB of jars from Maven Central into ~/.m2 and ${dir}.`);
  const started = Date.now();
  const staging = await makeStagingDir(dir);
  try {
    await fs.writeFile(path.join(staging, 'pom.xml'), resolverPom());
    await runStreaming(
      'mvn',
      [
        '-B',
        '-q',
        '-Dstyle.color=never',
        '-f',
        path.join(staging, 'pom.xml'),
        `${DEPENDENCY_PLUGIN}:copy-dependencies`,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${path.join(staging, 'lib')}`,
      ],
      { cwd: staging, log, prefix: '[mvn]', timeoutMs: 30 * 60_000 },
    );
    const jars = (await fs.readdir(path.join(staging, 'lib'))).filter((f) => f.endsWith('.jar')).sort();
    if (!jars.includes(`temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}.jar`)) {
      throw new Error(`Maven finished but temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}.jar is missing from the resolved classpath`);
    }
    await fs.writeFile(path.join(staging, WRAPPER_NAME), wrapperScript(jars), { mode: 0o755 });
    await fs.rm(path.join(staging, 'pom.xml'), { force: true });

    // Move into place (atomic rename of the whole folder). Without install.json it is not used yet.
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(staging, dir);
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true });
    throw err;
  }

  try {
    // Start it once for real: proves the classpath works and records a CDS archive on exit.
    const startMs = await smokeStart(dir, log);
    const manifest = {
      format: INSTALL_FORMAT,
      artifact: ARTIFACT,
      java: javaVersion,
      maven: mvnVersion,
      firstStartMs: startMs,
      installedAt: new Date().toISOString(),
    };
    const tmp = path.join(dir, `${MANIFEST_NAME}.${process.pid}.tmp`);
    await fs.writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
    await fs.rename(tmp, path.join(dir, MANIFEST_NAME));
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
  log(`Installed the Temporal test server in ${Math.round((Date.now() - started) / 1000)} s -> ${path.join(dir, WRAPPER_NAME)}`);
}

/**
 * Runs the wrapper on a free port until it accepts connections, then stops it with SIGTERM so the
 * JVM exits normally and writes the class-data sharing archive (`-XX:ArchiveClassesAtExit`).
 * Returns the start-up time in ms. The CDS archive is best effort; a failure to start is not.
 */
async function smokeStart(dir: string, log: ToolLog): Promise<number> {
  const port = await getFreePort();
  const archiveTmp = path.join(dir, `app.jsa.${process.pid}.tmp`);
  const child = spawn(path.join(dir, WRAPPER_NAME), [String(port)], {
    env: {
      ...process.env,
      TEMPORAL_TEST_SERVER_NO_CDS: '1',
      TEMPORAL_TEST_SERVER_JAVA_OPTS: `-XX:ArchiveClassesAtExit=${archiveTmp} -Xlog:cds=off -Xlog:cds+dynamic=off`,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-4_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => {
    running = false;
  });

  const started = Date.now();
  let up = false;
  while (running && Date.now() - started < 60_000) {
    if (await tcpPortOpen(port)) {
      up = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const startMs = Date.now() - started;
  if (!up) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`the Temporal test server did not start (port ${port}):\n${stderr.trim()}`);
  }
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
  if (await fileExists(archiveTmp)) {
    await fs.rename(archiveTmp, path.join(dir, 'app.jsa'));
  } else {
    log('note: no class-data sharing archive was written; the test server will just start a little slower');
  }
  log(`test server smoke start: listening after ${startMs} ms`);
  return startMs;
}

// `tsx scripts/tools/java-test-server.ts`: install (once) and print the wrapper path, e.g. as a CI step.
if (require.main === module) {
  const t0 = Date.now();
  ensureJavaTestServer().then(
    (wrapper) => process.stdout.write(`${wrapper}\n(${Date.now() - t0} ms)\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
