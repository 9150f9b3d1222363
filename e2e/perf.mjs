// Page performance report (prints numbers; not a pass/fail test): first render, main-thread
// time spent in each animation frame, and long tasks, while a scenario plays at a given speed.
// The scenario is the reference load R1 (tests/scenarios/r1.json), opened as a `#run=` link;
// `default` plays the page's built-in scenario instead.
// Usage: node e2e/perf.mjs [speed] [seconds] [r1|default]
import { readFileSync } from 'node:fs';
import { startServer } from './server.mjs';
import { launch } from './browser.mjs';

const speed = Number(process.argv[2] ?? 10);
const seconds = Number(process.argv[3] ?? 5);
const which = process.argv[4] ?? 'r1';
let fragment = '';
if (which === 'r1') {
  const scenario = JSON.parse(readFileSync(new URL('../tests/scenarios/r1.json', import.meta.url)));
  fragment = '#run=' + encodeURIComponent(JSON.stringify({ scenario, commands: [] }));
}
const srv = await startServer();
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
// Time every requestAnimationFrame callback, and collect long tasks, from before the app loads.
await page.addInitScript(() => {
  window.__frames = [];
  window.__long = [];
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) => raf((ts) => {
    const t0 = performance.now();
    cb(ts);
    window.__frames.push(performance.now() - t0);
  });
  new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration)))
    .observe({ type: 'longtask', buffered: true });
});
const t0 = Date.now();
await page.goto(srv.base + '/' + fragment);
await page.locator('#topology').waitFor();
const firstRender = Date.now() - t0;
await page.evaluate((s) => {
  const r = document.querySelector('#speed');
  // The slider is logarithmic: 0..1000 maps to 0.1x..100x.
  r.value = String(Math.round(Math.log(s / 0.1) / Math.log(1000) * 1000));
  r.dispatchEvent(new Event('input', { bubbles: true }));
}, speed);
await page.waitForTimeout(500);
await page.evaluate(() => { window.__frames = []; window.__long = []; });
await page.click('#play');
await page.waitForTimeout(seconds * 1000);
const r = await page.evaluate(() => ({ frames: window.__frames, long: window.__long,
  simTime: document.querySelector('#sim-time').textContent, speed: document.querySelector('#speed-label').textContent }));
const sorted = [...r.frames].sort((a, b) => a - b);
const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
console.log(`page performance, ${which === 'r1' ? 'reference load R1' : 'default scenario'} at ${r.speed} for ${seconds} s of wall time (simulated time reached: ${r.simTime})`);
console.log(`  first render (navigation to canvas in the DOM): ${firstRender} ms`);
console.log(`  animation frames: ${sorted.length} (${(sorted.length / seconds).toFixed(0)}/s)`);
console.log(`  main-thread time per frame: p50 ${q(0.5).toFixed(2)} ms, p95 ${q(0.95).toFixed(2)} ms, max ${q(1).toFixed(2)} ms`);
console.log(`  long tasks (> 50 ms) after load: ${r.long.length}${r.long.length ? ` (max ${Math.max(...r.long).toFixed(0)} ms)` : ''}`);
await browser.close();
srv.server.close();
