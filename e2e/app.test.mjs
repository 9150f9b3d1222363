// End-to-end: the built page (dist/) in real headless Chromium, driven like a user would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SUB_PATH } from './server.mjs';
import { watchErrors, inkShare, nodePosition, clickLink, suite } from './browser.mjs';

const s = suite(before, after);
const SHOTS = s.SHOTS;

const simTime = (page) => page.locator('#sim-time').textContent();
const seconds = (label) => Number.parseFloat(label);

async function openApp(url) {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  const t0 = Date.now();
  await page.goto(url);
  await page.locator('#topology').waitFor();
  return { page, errors, firstRenderMs: Date.now() - t0 };
}

test('play, pause, step, change seed; canvas drawn; no console errors', async () => {
  const { page, errors, firstRenderMs } = await openApp(s.srv.base + '/');
  console.log(`first render: ${firstRenderMs} ms`);
  assert.equal(await simTime(page), '0.000000 s');

  await page.click('#play');
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 1.0,
    null, { timeout: 10_000 });
  const ink = await inkShare(page, '#topology');
  assert.ok(ink > 0.01, `topology canvas looks blank (${ink})`);
  assert.ok(await inkShare(page, '#chart-0') > 0.01, 'chart canvas looks blank');
  await page.screenshot({ path: `${SHOTS}/playing.png` });

  await page.click('#play'); // pause
  await page.waitForTimeout(300); // the panels refresh a few times a second
  const paused = await simTime(page);
  await page.waitForTimeout(700);
  assert.equal(await simTime(page), paused, 'time moved while paused');

  await page.click('#step');
  await page.waitForFunction((p) => document.querySelector('#sim-time').textContent !== p, paused);
  assert.ok(seconds(await simTime(page)) > seconds(paused), 'step did not move time forward');

  await page.fill('#seed', '42');
  await page.click('#apply-seed');
  await page.waitForFunction(() => document.querySelector('#sim-time').textContent === '0.000000 s');
  assert.equal(await page.inputValue('#seed'), '42');

  // Bad input gets a clear message and loses nothing.
  await page.fill('#seed', '-5');
  await page.click('#apply-seed');
  await page.locator('#error').waitFor();
  assert.match(await page.locator('#error').textContent(), /seed must be a whole number/);
  assert.equal(await simTime(page), '0.000000 s');
  await page.screenshot({ path: `${SHOTS}/after-seed.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('faults: cut a link and crash a node from the panel, heal, see the log', async () => {
  const { page, errors } = await openApp(s.srv.base + '/');
  await page.click('#play');
  await page.getByRole('button', { name: 'Isolate n1' }).click();
  await page.getByRole('button', { name: 'Crash node n2' }).click();
  await page.waitForFunction(() => /keys behind/.test(document.querySelector('#node-1').textContent),
    null, { timeout: 10_000 });
  const log = await page.locator('#event-log').textContent();
  assert.match(log, /partition: \{n1\}/);
  assert.match(log, /node n2 crashed/);
  await page.screenshot({ path: `${SHOTS}/faults.png` });
  await page.click('#heal-all');
  await page.getByRole('button', { name: 'Restart node n2' }).click();
  await page.waitForFunction(() => /in sync|keys behind/.test(document.querySelector('#node-1').textContent));
  await page.getByRole('button', { name: 'Isolate n1' }).waitFor();
  // A single link from the keyboard: choose it, cut it, heal it.
  await page.focus('#link-choice');
  await page.selectOption('#link-choice', '2-4');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /link n2–n4 cut/.test(document.querySelector('#event-log').textContent));
  await page.waitForFunction(() => /n2–n4 \(cut\)/.test(document.querySelector('#link-choice').textContent));
  await page.click('#link-heal');
  await page.waitForFunction(() => /link n2–n4 healed/.test(document.querySelector('#event-log').textContent));
  assert.deepEqual(errors, []);
  await page.close();
});

test('keyboard: space plays, ? opens the help', async () => {
  const { page, errors } = await openApp(s.srv.base + '/');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 0.2);
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('works from a sub-path inside an iframe (relative asset URLs)', async () => {
  const page = await s.browser.newPage({ viewport: { width: 1300, height: 1000 } });
  const errors = watchErrors(page);
  await page.goto(s.srv.base + '/iframe.html');
  const frame = page.frameLocator('#sim');
  await frame.locator('#play').click();
  const inner = page.frames().find((f) => f.url().includes(SUB_PATH));
  assert.ok(inner, 'iframe did not load the app');
  await inner.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 0.5);
  assert.ok(await inkShare(inner, '#topology') > 0.01, 'iframe canvas blank');
  await page.screenshot({ path: `${SHOTS}/iframe.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('canvases are sized for devicePixelRatio', async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 2 });
  const page = await ctx.newPage();
  await page.goto(s.srv.base + '/');
  await page.locator('#topology').waitFor();
  await page.click('#step');
  await page.waitForFunction(() => {
    const c = document.querySelector('#topology');
    return c.width === Math.round(c.clientWidth * 2) && c.width > 0;
  });
  await ctx.close();
});

test('a link holds the whole run; a broken link says why and loses nothing', async () => {
  const { page, errors } = await openApp(s.srv.base + '/');
  await page.click('#play');
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 0.5);
  await page.getByRole('button', { name: 'Isolate n2' }).click();
  await page.click('#play'); // pause
  await page.click('#share');
  const url = await page.inputValue('#share-url');
  assert.match(url, /#run=%7B/);
  const cutAt = (await page.locator('#event-log li').first().locator('time').textContent()).trim();

  const other = await s.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const otherErrors = watchErrors(other);
  await other.goto(url);
  await other.locator('#event-log').waitFor();
  assert.match(await other.locator('#event-log').textContent(), /partition: \{n2\}/);
  assert.equal(await simTime(other), cutAt, 'replayed to the last command');
  assert.match(await other.locator('#node-2').textContent(), /Reconnect/);
  await other.screenshot({ path: `${SHOTS}/shared-link.png` });

  await other.goto(s.srv.base + '/#run=%7Bbroken');
  await other.reload();
  await other.locator('#error').waitFor();
  assert.match(await other.locator('#error').textContent(), /could not be opened/);
  assert.equal(await simTime(other), '0.000000 s');
  assert.deepEqual(errors, []);
  assert.deepEqual(otherErrors, []);
  await other.close();
  await page.close();
});

test('seek backwards on the timeline and see the same state as before', async () => {
  const { page, errors } = await openApp(s.srv.base + '/');
  const seekTo = (ms) => page.evaluate((v) => {
    const r = document.querySelector('#timeline');
    r.value = String(v);
    r.dispatchEvent(new Event('input', { bubbles: true }));
  }, ms);
  const snapshot = () => page.evaluate(() =>
    document.querySelector('.figures').textContent + '|' + document.querySelector('.nodes').textContent);
  await page.click('#play');
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 3.0);
  await page.getByRole('button', { name: 'Isolate n3' }).click();
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 4.5);
  await page.click('#play'); // pause
  await seekTo(2000);
  await page.waitForFunction(() => document.querySelector('#sim-time').textContent === '2.000000 s');
  const first = await snapshot();
  assert.match(await page.locator('#node-3').textContent(), /Isolate/, 'the cut has not happened yet at 2 s');
  await page.click('#play');
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 5.0);
  await page.click('#play');
  assert.match(await page.locator('#node-3').textContent(), /Reconnect/, 'replayed the recorded cut');
  await seekTo(2000);
  await page.waitForFunction(() => document.querySelector('#sim-time').textContent === '2.000000 s');
  assert.equal(await snapshot(), first, 'same state at 2 s after rewinding');
  // Clicking a log entry goes back to that moment (the log shows what has happened by now).
  await seekTo(5000);
  await page.waitForFunction(() => document.querySelector('#sim-time').textContent === '5.000000 s');
  const entry = page.locator('#event-log .log-entry').first();
  const at = (await entry.locator('time').textContent()).trim();
  await entry.click();
  await page.waitForFunction((t) => document.querySelector('#sim-time').textContent === t, at);
  assert.match(await page.locator('#node-3').textContent(), /Reconnect/, 'the cut is in force at its own time');
  await page.screenshot({ path: `${SHOTS}/seek.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('fork: two futures from one moment, one parameter changed, differences marked', async () => {
  const { page, errors } = await openApp(s.srv.base + '/');
  await page.click('#play');
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 1.5);
  await page.click('#fork');
  await page.locator('#compare-table').waitFor();
  // The controls now steer B: crash a node and let both futures run on.
  await page.getByRole('button', { name: 'Crash node n0' }).click();
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 4.0);
  await page.click('#play');
  const row = (label) => page.evaluate((l) => {
    const tr = [...document.querySelectorAll('#compare-table tbody tr')]
      .find((r) => r.querySelector('th').textContent === l);
    return { a: tr.children[1].textContent, b: tr.children[2].textContent, differs: tr.classList.contains('differs') };
  }, label);
  const ok = await row('operations ok');
  assert.ok(Number(ok.b) < Number(ok.a), 'B loses the clients of its crashed node');
  assert.ok(ok.differs);
  assert.deepEqual(await row('nodes down'), { a: '0', b: '1', differs: true });
  assert.ok(await inkShare(page, '#topology-fork') > 0.01, 'fork canvas drawn');
  await page.locator('#compare-title').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/fork.png` });
  await page.click('#unfork');
  await page.locator('#compare-table').waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('direct manipulation: click a link to cut it, right-click a node to crash it', async () => {
  const { page, errors } = await openApp(s.srv.base + '/');
  const n2 = await nodePosition(page, 2);
  await clickLink(page, 0, 1);
  await page.waitForFunction(() => /link n0–n1 cut/.test(document.querySelector('#event-log').textContent));
  await page.mouse.click(n2.x, n2.y, { button: 'right' });
  await page.getByRole('button', { name: 'Restart node n2' }).waitFor();
  await clickLink(page, 0, 1);
  await page.waitForFunction(() => /link n0–n1 healed/.test(document.querySelector('#event-log').textContent));
  assert.deepEqual(errors, []);
  await page.close();
});

test('reduced motion follows the system setting and can be switched', async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await page.goto(s.srv.base + '/');
  await page.locator('#reduced-motion[aria-pressed="true"]').waitFor();
  await page.click('#play');
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 1.0);
  assert.ok(await inkShare(page, '#topology') > 0.01);
  await page.screenshot({ path: `${SHOTS}/reduced-motion.png` });
  await page.click('#reduced-motion');
  await page.locator('#reduced-motion[aria-pressed="false"]').waitFor();
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('migration: a bad setting is named, a blue-green migration completes verified, seeking back shows the same state', async () => {
  const { page, errors } = await openApp(s.srv.base + '/');
  const seekTo = (ms) => page.evaluate((v) => {
    const r = document.querySelector('#timeline');
    r.value = String(v);
    r.dispatchEvent(new Event('input', { bubbles: true }));
  }, ms);
  const status = () => page.locator('#mig-status').textContent();
  const outcome = () => page.locator('#mig-outcome').textContent();

  // A bad choice is refused with a message that names it; nothing starts.
  await page.click('#tab-migration');
  await page.fill('#mig-batch', '0');
  await page.click('#mig-start');
  await page.locator('#error').waitFor();
  assert.match(await page.locator('#error').textContent(), /Batch size must be a whole number from 1/);
  assert.equal(await page.locator('#mig-status').count(), 0);
  assert.equal(await simTime(page), '0.000000 s');

  await page.fill('#mig-batch', '200');
  await page.selectOption('#mig-strategy', 'blue_green');
  await page.click('#mig-start');
  await page.locator('#mig-status').waitFor();
  await page.locator('#play[aria-pressed="true"]').waitFor(); // Start plays
  assert.equal(await page.locator('#error').count(), 0);
  for (let i = 0; i < 3; i++) await page.keyboard.press('+'); // 8x
  await page.waitForFunction(() => /Phase: Copy/.test(document.querySelector('#mig-outcome').textContent),
    null, { timeout: 30_000 });
  await page.click('#play'); // pause mid-copy
  const midMs = Math.floor(seconds(await simTime(page)) * 1000);
  await seekTo(midMs);
  const midLabel = await simTime(page);
  const mid = await status();
  assert.match(mid, /Copy \(now\)/, 'the pipeline marks the current phase in words');
  await page.locator('section.migration').screenshot({ path: `${SHOTS}/migration-copy.png` });

  await page.click('#play');
  await page.waitForFunction(() => /Outcome: complete/.test(document.querySelector('#mig-outcome').textContent),
    null, { timeout: 60_000 });
  await page.click('#play'); // pause
  assert.match(await page.locator('#mig-verification').textContent(), /Verification: passed/);
  assert.match(await page.locator('#mig-table-all').textContent(), /(\d+) \/ \1/, 'every record processed');
  assert.match(await page.locator('#mig-downtime').textContent(), /writes were stopped for/);
  // The Data tab shows source rows next to the documents they became.
  await page.click('#tab-data');
  await page.locator('#data-migration').waitFor();
  assert.match(await page.locator('#data-migration').textContent(), /copied/);
  await page.screenshot({ path: `${SHOTS}/data-migration.png`, fullPage: true });
  await page.click('#tab-migration');
  assert.match(await page.locator('#event-log').textContent(), /migration complete/);
  assert.ok(await inkShare(page, '#chart-6') > 0.01, 'migration chart drawn');
  await page.locator('section.migration').screenshot({ path: `${SHOTS}/migration-complete.png` });
  await page.screenshot({ path: `${SHOTS}/migration-full-page.png`, fullPage: true });
  assert.ok(/Phase: Copy/.test(mid) && !/Outcome/.test(mid));

  // Back to the moment mid-copy: the same migration state as before, to the record.
  await seekTo(midMs);
  await page.waitForFunction((t) => document.querySelector('#sim-time').textContent === t, midLabel);
  assert.equal(await status(), mid);
  assert.match(await outcome(), /Phase: Copy/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('migration failures: a failed cut-over rolls back, and the buttons are labelled', async () => {
  const { page, errors } = await openApp(s.srv.base + '/');
  await page.click('#tab-migration');
  await page.selectOption('#mig-strategy', 'big_bang');
  await page.selectOption('#mig-bad', '50');
  await page.click('#mig-start');
  await page.locator('#mig-status').waitFor();
  await page.getByRole('button', { name: 'Make the cut-over fail' }).click();
  await page.getByRole('button', { name: 'Time out the next batch' }).click();
  for (let i = 0; i < 3; i++) await page.keyboard.press('+');
  await page.waitForFunction(() => /Outcome: rolled back/.test(document.querySelector('#mig-outcome').textContent),
    null, { timeout: 60_000 });
  await page.click('#play');
  assert.match(await page.locator('#mig-reason').textContent(), /cut-over failed/);
  assert.match(await page.locator('#mig-errors').textContent(), /conversion/);
  assert.match(await page.locator('#mig-errors').textContent(), /timeout/);
  assert.match(await page.locator('#mig-pipeline').textContent(), /Rollback/);
  // A finished migration takes no more faults; a new one can start.
  assert.ok(await page.locator('#mig-crash-worker').isDisabled());
  assert.ok(!(await page.locator('#mig-start').isDisabled()));
  await page.locator('section.migration').screenshot({ path: `${SHOTS}/migration-rolled-back.png` });
  assert.deepEqual(errors, []);
  await page.close();
});
