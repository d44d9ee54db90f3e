import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Debian's Chromium (`apt-get install chromium`) for playwright-core: $CHROMIUM_PATH, else `chromium` on the PATH. */
export function findChromium(): string | undefined {
  if (process.env['CHROMIUM_PATH']) return process.env['CHROMIUM_PATH'];
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}
