// Serves ui/dist with the mock backend injected (dev checks only; never shipped).
//   node dev/serve.mjs [port]   ->  http://127.0.0.1:5174/
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const port = Number(process.argv[2] || 5174);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };
createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/mock-backend.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    return res.end(readFileSync(join(here, 'mock-backend.js')));
  }
  let file = normalize(join(dist, url.pathname));
  if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
  let body = readFileSync(file);
  if (file.endsWith('index.html')) body = body.toString().replace('<head>', '<head>\n    <script src="./mock-backend.js"></script>');
  // The same CSP as the app, so violations show up here too.
  res.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src ipc: http://ipc.localhost",
  });
  res.end(body);
}).listen(port, '127.0.0.1', () => console.log(`mock UI on http://127.0.0.1:${port}/`));
