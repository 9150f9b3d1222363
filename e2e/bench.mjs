// Model speed in headless Chromium (prints numbers; not a pass/fail test): runs the reference
// load R1 inside the built page through the wasm export `bench_r1`, then the migration
// benchmark (1,000,000-row e-commerce SQL -> documents blue-green with change capture under
// 2,000 writes/s) through `bench_migrate`. Compare with the native
// `cargo run --release --example bench_r1` and `--example bench_migrate` (scripts/bench
// prints them all). Usage: node e2e/bench.mjs [runs [migration rows [writes/s]]]
// (migration rows 0: skip the migration).
import { startServer } from './server.mjs';
import { launch } from './browser.mjs';

const runs = Number(process.argv[2] ?? 3);
const migRows = Number(process.argv[3] ?? 1000000);
const migWrites = Number(process.argv[4] ?? 2000);
const srv = await startServer();
const browser = await launch();
const page = await browser.newPage();
await page.goto(srv.base + '/');
await page.waitForFunction(() => window.wasmBindings && window.wasmBindings.bench_r1);
const r = JSON.parse(await page.evaluate((n) => window.wasmBindings.bench_r1(n), runs));
console.log(`R1 wasm (headless Chromium): ${r.events} events in ${(r.best_ms / 1e3).toFixed(3)} s (best of ${runs}) = ${r.events_per_s} events/s`);
if (migRows > 0) {
  const m = JSON.parse(await page.evaluate(
    ([rows, writes]) => window.wasmBindings.bench_migrate(rows, writes), [migRows, migWrites]));
  console.log(`migration wasm (headless Chromium, 1 thread): ${m.rows} rows -> ${m.documents} documents, ` +
    `${m.outcome}, verified ${m.verified}, ${m.writes} writes, ${m.applied} changes applied; ` +
    `migration ${(m.migration_ms / 1e3).toFixed(3)} s (build ${(m.build_ms / 1e3).toFixed(3)} s, ` +
    `run ${(m.run_ms / 1e3).toFixed(3)} s, report ${(m.report_ms / 1e3).toFixed(3)} s); ` +
    `generate ${(m.generate_ms / 1e3).toFixed(3)} s, suggest mapping ${(m.suggest_ms / 1e3).toFixed(3)} s; ` +
    `wasm memory ${m.memory_mib} MiB`);
}
await browser.close();
srv.server.close();
