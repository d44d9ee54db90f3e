#!/usr/bin/env node
'use strict';
// The `collections` CLI without a build step: tsx compiles the TypeScript sources on the fly.
require('tsx/cjs');
require('../src/cli/main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error) => {
    process.stderr.write(`collections: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
