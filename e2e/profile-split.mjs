// Records which functions the page runs in its first view, for the .wasm split
// (scripts/profile-split builds the instrumented page this drives; tools/wasm-split names the
// functions). The first view: the page opens, plays the default scenario for a while at normal
// and at higher speed, pauses and steps, and a link is cut and healed. Prints the indices of the
// defined functions that ran, one a line. Usage: MIGRASCOPE_DIST=dir node e2e/profile-split.mjs
import { startServer } from './server.mjs';
import { launch, clickLink } from './browser.mjs';

const srv = await startServer();
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
await page.addInitScript(() => {
  addEventListener('TrunkApplicationStarted', (e) => { window.__firstPart = e.detail.wasm; });
});
await page.goto(srv.base + '/');
await page.locator('#topology').waitFor();
const simTime = () => page.evaluate(() => Number.parseFloat(document.querySelector('#sim-time').textContent));
await page.click('#play');
await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 3, null, { timeout: 30_000 });
await clickLink(page, 0, 1);
await page.waitForTimeout(3000);
await clickLink(page, 0, 1);
await page.waitForTimeout(3000);
await page.click('#play');
await page.click('#step');
await page.waitForTimeout(500);
await page.click('#play');
await page.waitForTimeout(4000);
if (errors.length) throw new Error(`the page failed: ${errors.join('; ')}`);
const ran = await page.evaluate(() => {
  const bytes = new Uint8Array(window.__firstPart.__split_profile.buffer);
  const out = [];
  for (let i = 0; i < bytes.length; i++) if (bytes[i]) out.push(i);
  return out;
});
console.error(`profile-split: ${ran.length} functions ran in ${(await simTime()).toFixed(1)} simulated s`);
console.log(ran.join('\n'));
await browser.close();
srv.server.close();
