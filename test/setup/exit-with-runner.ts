/**
 * Vitest setup file (runs inside every test fork): exit when the runner goes away.
 *
 * When `vitest` is interrupted (Ctrl-C) or killed, a fork that is in the middle of a test with a
 * running Temporal worker keeps its event loop alive (native poll loops) and would live on as an
 * orphan. The fork talks to the runner over an IPC channel, so its disconnect is the signal.
 */
if (typeof process.send === 'function') {
  process.once('disconnect', () => {
    process.exit(1);
  });
}
