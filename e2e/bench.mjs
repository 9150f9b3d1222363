// Model speed in headless Chromium (prints numbers; not a pass/fail test): runs the reference
// load R1 inside the built page through the wasm export `bench_r1`. Compare with the native
// `cargo run --release --example bench_r1` (scripts/bench prints both and their ratio).
// Usage: node e2e/bench.mjs [runs]
import { startServer } from './server.mjs';
import { launch } from './browser.mjs';

const runs = Number(process.argv[2] ?? 3);
const srv = await startServer('dist');
const browser = await launch();
const page = await browser.newPage();
await page.goto(srv.base + '/');
await page.waitForFunction(() => window.wasmBindings && window.wasmBindings.bench_r1);
const r = JSON.parse(await page.evaluate((n) => window.wasmBindings.bench_r1(n), runs));
console.log(`R1 wasm (headless Chromium): ${r.events} events in ${(r.best_ms / 1e3).toFixed(3)} s (best of ${runs}) = ${r.events_per_s} events/s`);
await browser.close();
srv.server.close();
