// The server of http.bench.ts, run in a child process so that it does not share the
// client's event loop: node:http, keep-alive, a small JSON body on /json and 64 KiB on
// /64k. Prints its port on stdout once listening; exits when stdin closes.
import { createServer } from 'node:http';

const small = Buffer.from(JSON.stringify({ hello: 'world', n: 1, ok: true }));
const big = Buffer.alloc(64 * 1024, 'x');
const server = createServer((req, res) => {
  if (req.url === '/64k') {
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': big.length,
    });
    res.end(big);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': small.length });
  res.end(small);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
