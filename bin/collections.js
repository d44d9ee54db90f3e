#!/usr/bin/env node
'use strict';
// The `collections` CLI without a build step: tsx compiles the TypeScript sources on the fly
// (cached on disk between runs; scripts/register-tsx.cjs). tsx also turns source maps on for
// the whole process: Node then parses the source map of every module it compiles, and maps every
// stack trace. The CLI prints one-line errors, so they stay as Node was started
// (`NODE_OPTIONS=--enable-source-maps` for TypeScript lines in debug logs).
const sourceMapsWanted = process.sourceMapsEnabled;
require('../scripts/register-tsx.cjs');
process.setSourceMapsEnabled(sourceMapsWanted);

// `collections list | head`: a reader that goes away early is not an error.
process.stdout.on('error', (error) => {
  if (error && error.code === 'EPIPE') process.exit(process.exitCode || 0);
  throw error;
});

require('../src/cli/main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error) => {
    process.stderr.write(`collections: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
