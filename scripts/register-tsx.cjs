'use strict';
// Runs this project's TypeScript without a build step: `node -r ./scripts/register-tsx.cjs <file.ts>`
// (the npm scripts, the services `npm start` spawns, the tests' child processes, the CLI).
//
// tsx compiles only our TypeScript (cached on disk between runs). `--import tsx` would also
// scan every dependency's `.js` file for ESM syntax to convert, and add ESM loader hooks on a
// thread of their own: about a quarter of a service's start-up CPU (1.0 vs 0.7 CPU-s to load the
// API). Our dependencies are CommonJS or `"type": "module"` packages that Node (>= 20.19) loads
// natively, so `.js` files keep Node's own loader. Source maps stay on (tsx turns them on): a
// service's stack traces name TypeScript lines.
const Module = require('node:module');

const nodeJsLoader = Module._extensions['.js'];
require('tsx/cjs');
Module._extensions['.js'] = nodeJsLoader;
