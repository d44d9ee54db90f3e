import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * The console's browser assets, bundled with esbuild when the server first needs them
 * (at most once per process, ~0.2 s), so `npm start` and `npm test` work from a fresh
 * clone with no build step and nothing is ever fetched from the internet: Chart.js is
 * bundled in. Names carry a content hash, so browsers may cache them forever.
 */

export interface Asset {
  name: string;
  contentType: string;
  body: Buffer;
}

export interface ConsoleAssets {
  script: Asset;
  style: Asset;
  byName: Map<string, Asset>;
}

const UI_DIR = path.join(__dirname, 'ui');

function hashed(base: string, ext: string, body: Buffer, contentType: string): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name: `${base}-${hash}.${ext}`, contentType, body };
}

async function bundle(): Promise<ConsoleAssets> {
  const result = await build({
    entryPoints: [path.join(UI_DIR, 'app.ts')],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0];
  if (!js) throw new Error('esbuild produced no console bundle');
  const script = hashed('console', 'js', Buffer.from(js.contents), 'text/javascript; charset=utf-8');
  const style = hashed('console', 'css', await readFile(path.join(UI_DIR, 'console.css')), 'text/css; charset=utf-8');
  return { script, style, byName: new Map([script, style].map((a) => [a.name, a])) };
}

let built: Promise<ConsoleAssets> | undefined;

/** The bundle, built on first call; a failed build is retried on the next call. */
export function consoleAssets(): Promise<ConsoleAssets> {
  built ??= bundle().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}
