#!/usr/bin/env node
'use strict';
// The `collections` CLI without a build step: tsx compiles the TypeScript sources on the fly.
require('tsx/cjs');

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
