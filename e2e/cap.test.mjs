// End-to-end: the CAP lesson in the built page. In AP a cut link lets replicas diverge and
// conflicts appear; healing it lets them converge; in CP an isolated node's clients lose
// availability while the majority side keeps serving. The checker lists what it finds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { watchErrors, clickLink, suite } from './browser.mjs';

const s = suite(before, after);
const SHOTS = s.SHOTS;

// The value of one key figure ("conflicts", "availability", ...) as shown.
const figure = (page, name) => page.evaluate((n) => {
  const dt = [...document.querySelectorAll('.figures dt')].find((d) => d.textContent === n);
  return dt?.nextElementSibling?.textContent ?? '';
}, name);
const logHas = (page, re) => page.waitForFunction(
  (src) => new RegExp(src).test(document.querySelector('#event-log')?.textContent ?? ''),
  re.source, { timeout: 60_000 });
// The availability shown for the clients of node `i`, in percent (NaN before any sample).
const nodeAvail = (page, i) => page.evaluate(
  (id) => Number.parseFloat(document.querySelector(`#node-${id} .node-avail`).textContent), i);

test('CAP: AP cut link gives conflicts, heal converges, CP isolates a node and its availability drops', async () => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  await page.goto(s.srv.base + '/');
  await page.locator('#topology').waitFor();

  // AP, then play at 8x.
  await page.selectOption('#set-partition-mode', 'ap');
  await page.waitForFunction(() => /AP/.test(document.querySelector('#replication').textContent));
  for (let i = 0; i < 3; i++) await page.keyboard.press('+');
  await page.click('#play');
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 1.0);
  assert.equal(await figure(page, 'conflicts'), '0');

  // Cut n0–n1 by clicking it: the replicas diverge and a conflict is recorded.
  await clickLink(page, 0, 1);
  await logHas(page, /link n0–n1 cut/);
  await page.waitForFunction(() => {
    const dt = [...document.querySelectorAll('.figures dt')].find((d) => d.textContent === 'conflicts');
    return Number(dt?.nextElementSibling?.textContent) > 0;
  }, null, { timeout: 60_000 });
  await page.screenshot({ path: `${SHOTS}/cap-ap-conflict.png`, fullPage: true });

  // Heal it: the replicas agree again and the page says how long it took.
  await clickLink(page, 0, 1);
  await logHas(page, /link n0–n1 healed/);
  await logHas(page, /replicas agree again, \d+ ms after the heal/);
  await page.screenshot({ path: `${SHOTS}/cap-ap-converged.png`, fullPage: true });

  // The checker names what AP allowed, with the operations involved.
  await page.click('#check-history');
  await page.locator('#check-summary').waitFor();
  assert.match(await page.locator('#check-summary').textContent(), /operations on \d+ keys/);

  // CP, then isolate n0: its clients are refused, the other side keeps serving.
  await page.selectOption('#set-partition-mode', 'cp');
  await page.waitForFunction(() => /CP/.test(document.querySelector('#replication').textContent));
  await page.getByRole('button', { name: 'Isolate n0' }).click();
  await logHas(page, /partition: \{n0\}/);
  await page.waitForFunction(() => {
    const pct = (i) => Number.parseFloat(document.querySelector(`#node-${i} .node-avail`).textContent);
    return pct(0) < 10 && [1, 2, 3, 4].every((i) => pct(i) > 90);
  }, null, { timeout: 60_000 });
  const minority = await nodeAvail(page, 0);
  const majority = await nodeAvail(page, 1);
  console.log(`CP with n0 isolated: n0 clients ${minority}% ok, n1 clients ${majority}% ok`);
  await page.screenshot({ path: `${SHOTS}/cap-cp-minority.png`, fullPage: true });
  await page.click('#play');
  assert.deepEqual(errors, []);
  await page.close();
});

test('event log: kinds can be hidden and shown, writes on request', async () => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  await page.goto(s.srv.base + '/');
  await page.locator('#topology').waitFor();
  await page.click('#play');
  await page.getByRole('button', { name: 'Isolate n2' }).click();
  await logHas(page, /partition: \{n2\}/);
  await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 2.0);
  await page.click('#play');
  const kinds = () => page.$$eval('#event-log .tag', (ts) => ts.map((t) => t.textContent));
  assert.ok(!(await kinds()).includes('write'), 'writes are hidden at first');
  await page.check('#log-kind-write');
  await page.waitForFunction(() => [...document.querySelectorAll('#event-log .tag')].some((t) => t.textContent === 'write'));
  await page.uncheck('#log-kind-command');
  await page.waitForFunction(() => ![...document.querySelectorAll('#event-log .tag')].some((t) => t.textContent === 'command'));
  assert.ok((await kinds()).every((k) => k !== 'command'));
  await page.screenshot({ path: `${SHOTS}/log-filter.png` });
  assert.deepEqual(errors, []);
  await page.close();
});
