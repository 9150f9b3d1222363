// End-to-end: the page's code comes in two parts (tools/wasm-split). The page shows itself on
// the first part alone; the second part, fetched in the background, is instantiated the first
// time something needs it, fetched right then if the background fetch has not finished; if it
// cannot be loaded at all, the page says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { watchErrors, suite } from './browser.mjs';

const s = suite(before, after);
const SHOTS = s.SHOTS;
const SECOND = /-part2-[0-9a-f]+\.wasm$/;
const simTime = (page) => page.evaluate(() => Number.parseFloat(document.querySelector('#sim-time').textContent));

test('split: the page opens on its first part; a late second part is waited for, then it all works', async () => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  const requests = [];
  page.on('request', (r) => { if (SECOND.test(r.url())) requests.push(r.resourceType()); });
  // Hold the second part back for 4 s, every time it is asked for.
  await page.route(SECOND, async (route) => {
    await new Promise((r) => setTimeout(r, 4000));
    await route.continue();
  });
  const t0 = Date.now();
  await page.goto(s.srv.base + '/');
  await page.locator('#topology').waitFor();
  const shownMs = Date.now() - t0;
  assert.ok(shownMs < 4000, `the page waited for the second part (${shownMs} ms)`);
  assert.equal(await page.locator('meta[name="migrascope-second-part"]').count(), 1, 'the build was not split');

  // The Migration tab needs the second part now: it is fetched synchronously (the background
  // fetch is still held back), then the tab works.
  await page.click('#tab-migration');
  await page.locator('#mig-start').waitFor();
  assert.ok(Date.now() - t0 >= 4000, 'the second part was not held back');
  assert.ok(requests.length >= 1, 'the second part was never requested');
  await page.fill('#mig-batch', '200');
  await page.selectOption('#mig-strategy', 'blue_green');
  await page.click('#mig-start');
  await page.locator('#play[aria-pressed="true"]').waitFor(); // Start plays
  for (let i = 0; i < 3; i++) await page.keyboard.press('+'); // 8x
  await page.waitForFunction(() => /Outcome: complete/.test(document.querySelector('#mig-outcome')?.textContent ?? ''),
    null, { timeout: 60_000 });
  assert.match(await page.locator('#mig-verification').textContent(), /Verification: passed/);
  assert.ok(await simTime(page) > 0);
  await page.screenshot({ path: `${SHOTS}/split-late-second-part.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('split: a second part that cannot be loaded is reported in the page', async () => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  await page.route(SECOND, (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(s.srv.base + '/');
  await page.locator('#topology').waitFor();
  await page.click('#tab-schema');
  await page.locator('#panic-overlay').waitFor();
  assert.match(await page.locator('#panic-overlay').textContent(), /Part of the page did not load.*HTTP 404/s);
  assert.ok(await page.locator('#panic-overlay button').isVisible(), 'no reload button');
  assert.ok(errors.some((e) => /could not load the second part/.test(e)), errors.join('\n'));
  await page.screenshot({ path: `${SHOTS}/split-missing-second-part.png` });
  await page.close();
});
