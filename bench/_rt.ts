import * as net from 'node:net';
import { run } from '@aiots/loop';
import { openConnection, startServer } from '@aiots/streams';
const N = 20000;
const LINE = Buffer.from(`${'x'.repeat(63)}\n`);
const which = process.argv[2] ?? 'ours';
function cpu<T>(label: string, fn: () => Promise<T>) {
  return async () => {
    const c = process.cpuUsage(); const t = performance.now();
    await fn();
    const u = process.cpuUsage(c);
    console.log(`${label}: wall ${((performance.now() - t) * 1000 / N).toFixed(2)} us, cpu ${((u.user + u.system) / N).toFixed(2)} us/rt`);
  };
}
await run(async () => {
  if (which === 'ours') {
    const server = await startServer(async (r, w) => { for (;;) { const l = await r.readline(); if (!l.length) break; w.write(l); await w.drain(); } w.close(); }, '127.0.0.1', 0);
    const [r, w] = await openConnection('127.0.0.1', server.address().port);
    const go = cpu('ours', async () => { for (let i = 0; i < N; i++) { w.write(LINE); await w.drain(); await r.readline(); } });
    for (let k = 0; k < 5; k++) await go();
    w.close(); server.close();
  } else {
    const srv = net.createServer({ noDelay: true }, (s) => { let p = ''; s.setEncoding('latin1'); s.on('data', (d: string) => { p += d; let nl = p.indexOf('\n'); while (nl >= 0) { s.write(p.slice(0, nl + 1), 'latin1'); p = p.slice(nl + 1); nl = p.indexOf('\n'); } }); });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const s = await new Promise<net.Socket>((res) => { const c = net.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', noDelay: true }, () => res(c)); });
    const go = cpu('raw', () => new Promise<void>((resolve) => { let left = N; const on = (d: Buffer) => { for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) { if (--left === 0) { s.off('data', on); resolve(); return; } s.write(LINE); } }; s.on('data', on); s.write(LINE); }));
    for (let k = 0; k < 5; k++) await go();
    s.destroy(); srv.close();
  }
});
