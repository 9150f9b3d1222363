// Trunk post-build hook (Trunk.toml): splits the page's optimised .wasm in two with
// tools/wasm-split, so the page opens on the first part and loads the rest in the background
// (src/ui/second_part.rs).
//
// - The first part keeps the functions named in tools/wasm-split/first-view.txt (what the page
//   runs when it opens; `scripts/profile-split` regenerates the list) and replaces the file Trunk
//   built; the index.html integrity hash is updated to match.
// - The second part is written next to it as <name>-part2-<hash>.wasm and named in a
//   <meta name="migrascope-second-part"> tag.
// - Both parts lose the name section the split needed (index.html asks wasm-opt to keep it).
//
// MIGRASCOPE_SPLIT_PROFILE=file splits by another list than first-view.txt (scripts/test builds
// one with an empty list, which moves every named function, to show the page still works).
// MIGRASCOPE_SPLIT=instrument builds instead a page whose functions record that they ran
// (for scripts/profile-split); MIGRASCOPE_SPLIT=off leaves the .wasm whole. Debug builds are left whole.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const stage = process.env.TRUNK_STAGING_DIR;
const mode = process.env.MIGRASCOPE_SPLIT ?? 'split';
if (!stage) throw new Error('split-wasm.mjs runs as a Trunk hook (TRUNK_STAGING_DIR is not set)');

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wasmName = fs.readdirSync(stage).find((f) => f.endsWith('_bg.wasm'));
if (!wasmName) throw new Error(`no *_bg.wasm in ${stage}`);
const wasmPath = path.join(stage, wasmName);
const work = path.join(root, 'target', 'wasm-split');
fs.mkdirSync(work, { recursive: true });

function tool(...args) {
  const manifest = path.join(root, 'tools', 'wasm-split', 'Cargo.toml');
  execFileSync('cargo', ['build', '--quiet', '--release', '--locked', '--offline', '--manifest-path', manifest,
    '--target-dir', work], { stdio: 'inherit' });
  return execFileSync(path.join(work, 'release', 'migrascope-wasm-split'), args, { encoding: 'utf8' });
}

function sri(bytes) {
  return 'sha384-' + crypto.createHash('sha384').update(bytes).digest('base64');
}

// Replace the integrity Trunk computed for the .wasm (its preload link) with the new file's.
function updateHtml(edit) {
  const htmlPath = path.join(stage, 'index.html');
  let html = fs.readFileSync(htmlPath, 'utf8');
  const preload = new RegExp(`(href="[^"]*${wasmName.replace(/[.]/g, '[.]')}"[^>]*integrity=")[^"]*(")`);
  if (!preload.test(html)) throw new Error(`index.html has no integrity for ${wasmName}`);
  html = html.replace(preload, `$1${sri(fs.readFileSync(wasmPath))}$2`);
  html = edit(html);
  fs.writeFileSync(htmlPath, html);
}

if (process.env.TRUNK_PROFILE !== 'release' || mode === 'off') {
  process.exit(0);
}
const named = path.join(work, 'named.wasm');
fs.copyFileSync(wasmPath, named);

if (mode === 'instrument') {
  tool('instrument', named, wasmPath);
  updateHtml((html) => html);
  console.log(`split-wasm: ${wasmName} instrumented for scripts/profile-split`);
} else if (mode === 'split') {
  const profile = process.env.MIGRASCOPE_SPLIT_PROFILE ?? path.join(root, 'tools', 'wasm-split', 'first-view.txt');
  const first = path.join(work, 'first.wasm');
  const second = path.join(work, 'second.wasm');
  process.stdout.write(tool('split', named, profile, first, second, '--load-import', 'migrascopeSecondPartLoad'));
  const secondBytes = fs.readFileSync(second);
  const hash = crypto.createHash('sha256').update(secondBytes).digest('hex').slice(0, 16);
  const secondName = wasmName.replace(/-[0-9a-f]+_bg\.wasm$/, '') + `-part2-${hash}.wasm`;
  fs.copyFileSync(first, wasmPath);
  fs.writeFileSync(path.join(stage, secondName), secondBytes);
  updateHtml((html) => html.replace('</head>',
    `<meta name="migrascope-second-part" content="./${secondName}">\n</head>`));
  const gz = (bytes) => zlib.gzipSync(bytes, { level: 9 }).length;
  const firstGz = gz(fs.readFileSync(wasmPath));
  console.log(`split-wasm: first part ${firstGz} bytes gzipped, second part ${gz(secondBytes)} bytes gzipped`);
  if (firstGz > 400 * 1024) {
    console.log('split-wasm: the first part is over 400 KiB gzipped; run scripts/profile-split to refresh the list of what it keeps');
  }
} else {
  throw new Error(`MIGRASCOPE_SPLIT must be split, instrument or off, not ${mode}`);
}
