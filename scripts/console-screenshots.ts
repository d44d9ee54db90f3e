/**
 * Screenshots of the console's three pages for the README, taken with Debian's Chromium
 * against a running stack (`npm start`, a few minutes in, after
 * `npx collections import samples/overdue-portfolio.csv`):
 *
 *   node --import tsx scripts/console-screenshots.ts [caseLoanId]
 *
 * CONSOLE_URL (default http://127.0.0.1:3000), API_TOKEN (default npm start's dev token),
 * CHROMIUM_PATH (default `chromium` on the PATH). Writes docs/console-{portfolio,queue,case}.png.
 */
import path from 'node:path';
import { chromium } from 'playwright-core';
import { findChromium } from './tools/chromium';

const baseUrl = process.env['CONSOLE_URL'] ?? 'http://127.0.0.1:3000';
const token = process.env['API_TOKEN'] ?? 'dev-api-token-local';
const loanId = process.argv[2] ?? 'DEMO-CC-0002';
const docs = path.resolve(__dirname, '../docs');

async function main(): Promise<void> {
  const browser = await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${baseUrl}/console/login`);
    await page.getByLabel('Operator token').fill(token);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console$/);
    await page.waitForFunction(() => document.querySelectorAll('canvas').length === 3);
    await page.screenshot({ path: path.join(docs, 'console-portfolio.png'), fullPage: true });
    await page.goto(`${baseUrl}/console/queue`);
    await page.screenshot({ path: path.join(docs, 'console-queue.png'), fullPage: true });
    await page.goto(`${baseUrl}/console/cases/${encodeURIComponent(loanId)}`);
    await page.screenshot({ path: path.join(docs, 'console-case.png'), fullPage: true });
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
