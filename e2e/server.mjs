// A tiny static server for the built page, on 127.0.0.1 only. It serves dist/ at "/" and
// again under "/course/sim/" (a sub-path, as a course site would host it), and a page that
// embeds that sub-path in an iframe.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml',
};
export const SUB_PATH = '/course/sim/';
// The built page to serve: dist/ unless MIGRASCOPE_DIST names another folder (a second build
// next to the default one, e.g. /tmp/dist-ui).
export const DIST = process.env.MIGRASCOPE_DIST ?? 'dist';
const IFRAME_PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>course page</title></head><body><h1>Lesson: replication lag</h1>
<iframe id="sim" src="${SUB_PATH}" width="1200" height="900" title="migrascope"></iframe></body></html>`;

export function startServer(distDir = DIST) {
  const root = path.resolve(distDir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/iframe.html') {
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      return res.end(IFRAME_PAGE);
    }
    let rel = url.pathname.startsWith(SUB_PATH) ? url.pathname.slice(SUB_PATH.length) : url.pathname.slice(1);
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(root, decodeURIComponent(rel));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${server.address().port}` }));
  });
}
