// Headless Debian Chromium through playwright-core: no browser download, no network.
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer, DIST } from './server.mjs';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

export function launch() {
  // Playwright gives every launch a fresh, empty user-data-dir.
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

// Collect console errors and page errors, so a test can assert there were none.
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

// Share of pixels in a canvas that are not the background, read back from the canvas itself.
export function inkShare(frameOrPage, selector) {
  return frameOrPage.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) ink++;
    return ink / (d.length / 4);
  }, selector);
}

// Where node `i` of `n` sits on the topology canvas, in page pixels, as the view model lays
// the nodes out (node 0 on top, the rest clockwise on a circle).
export async function nodePosition(page, i, n = 5) {
  const box = await page.locator('#topology').boundingBox();
  const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
  return { x: box.x + (0.5 + 0.36 * Math.cos(a)) * box.width, y: box.y + (0.52 + 0.36 * Math.sin(a)) * box.height };
}

// Click the middle of the link between nodes `a` and `b` (cuts or heals it).
export async function clickLink(page, a, b, n = 5) {
  const [p, q] = [await nodePosition(page, a, n), await nodePosition(page, b, n)];
  await page.mouse.click((p.x + q.x) / 2, (p.y + q.y) / 2);
}

// One browser and one server for a test file: registers node:test's before/after and returns
// an object whose `srv` and `browser` are set once the suite has started.
export function suite(before, after) {
  const s = { srv: null, browser: null, SHOTS: 'e2e/screenshots' };
  before(async () => {
    if (!fs.existsSync(`${DIST}/index.html`)) throw new Error(`${DIST}/ is missing: run trunk build --release first`);
    fs.mkdirSync(s.SHOTS, { recursive: true });
    s.srv = await startServer(DIST);
    s.browser = await launch();
  });
  after(async () => { await s.browser?.close(); s.srv?.server.close(); });
  return s;
}
