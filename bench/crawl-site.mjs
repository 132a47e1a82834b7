// The site of crawl.bench.ts, in a child process of its own (its own event loop and core):
// node:http with keep-alive, PAGES pages at /p/0 .. /p/<PAGES-1>. Page n links to its ten
// children 10n+1 .. 10n+10 (a tree that reaches every page from /p/0 within a few levels),
// to its parent and to /p/0, each as a plain <a href="/p/m">, so that the seed's regex
// (`href="(.*?)"`) and an HTML parser find the same links. robots.txt answers 404.
// Prints its port on stdout once listening; exits when stdin closes.
import { createServer } from 'node:http';

const PAGES = Number(process.argv[2] ?? 5000);
const filler =
  '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.</p>\n'.repeat(
    12,
  );

function page(n) {
  const links = [];
  for (let c = 10 * n + 1; c <= 10 * n + 10 && c < PAGES; c++) {
    links.push(`<li><a href="/p/${c}">Page ${c}</a></li>`);
  }
  const parent = n === 0 ? 0 : Math.floor((n - 1) / 10);
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Page ${n}</title></head>
<body><h1>Page ${n}</h1>
<nav><a href="/p/0">Home</a> <a href="/p/${parent}">Up</a></nav>
${filler}<ul>
${links.join('\n')}
</ul></body></html>
`;
}

const server = createServer((req, res) => {
  const m = /^\/p\/(\d+)$/.exec(req.url ?? '');
  const n = m === null ? -1 : Number(m[1]);
  if (n < 0 || n >= PAGES) {
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': 9 });
    res.end('Not Found');
    return;
  }
  const body = Buffer.from(page(n));
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
