#!/usr/bin/env node
'use strict';
// The `collections` CLI without a build step: tsx compiles the TypeScript sources on the fly
// (cached on disk between runs).
const Module = require('node:module');

// tsx only needs to compile our TypeScript. Its `.js` hook also scans every dependency file for
// ESM syntax to convert, about a quarter of the CLI's start-up CPU; our dependencies are CommonJS
// or `"type": "module"` packages that Node (>= 20.19) requires natively, so `.js` files keep
// Node's own loader; tsx keeps its hooks for TypeScript files.
//
// tsx also turns source maps on for the whole process: Node then parses the source map of every
// module it compiles, and maps every stack trace. The CLI prints one-line errors, so they stay as
// Node was started (`NODE_OPTIONS=--enable-source-maps` for TypeScript lines in debug logs).
const nodeJsLoader = Module._extensions['.js'];
const sourceMapsWanted = process.sourceMapsEnabled;
require('tsx/cjs');
Module._extensions['.js'] = nodeJsLoader;
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
