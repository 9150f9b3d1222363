// Screenshots of the built page for looking at it: `node e2e/screenshot.mjs [WIDTH] [SECONDS]`
// plays the default scenario for SECONDS (default 3) at 1280 px (or WIDTH) and saves the
// whole page to e2e/screenshots/page-WIDTH.png. Serves dist/ (or MIGRASCOPE_DIST) on 127.0.0.1.
import fs from 'node:fs';
import { startServer, DIST } from './server.mjs';
import { launch, watchErrors } from './browser.mjs';

const width = Number(process.argv[2] ?? 1280);
const seconds = Number(process.argv[3] ?? 3);
fs.mkdirSync('e2e/screenshots', { recursive: true });
const srv = await startServer(DIST);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors = watchErrors(page);
  await page.goto(srv.base + '/');
  await page.locator('#topology').waitFor();
  await page.click('#play');
  await page.waitForTimeout(seconds * 1000);
  await page.click('#play');
  const path = `e2e/screenshots/page-${width}.png`;
  await page.screenshot({ path, fullPage: true });
  // The same page in screen-high slices, to look at closely.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let y = 0, i = 0; y < height && i < 12; y += 900, i++) {
    await page.screenshot({ path: `e2e/screenshots/page-${width}-${i}.png`, clip: { x: 0, y, width, height: Math.min(900, height - y) }, fullPage: true });
  }
  console.log(`${path}, ${height} px high${errors.length ? ` (console errors: ${errors.join(' | ')})` : ''}`);
} finally {
  await browser.close();
  srv.server.close();
}
