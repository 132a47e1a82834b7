// `pnpm demo`: the sample apps at work, on loopback only, in a few seconds.
//
// 1. a small local site on serve() (@aiots/http), crawled by `aiots-crawl --depth 2`;
// 2. `aiots-queue-demo --virtual-time`: producers and consumers, seconds of sleeps in an instant;
// 3. `aiots-echo serve`, with TCP and UDP messages sent through it by `aiots-echo client`;
// 4. a short report.
//
// The commands run as their own processes from the packages' TypeScript sources, so nothing
// needs building first.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serve } from '@aiots/http';

const started = performance.now();
const require = createRequire(import.meta.url);
const work = mkdtempSync(join(tmpdir(), 'aiots-demo-'));

/** The source entry of a workspace app's command, or undefined when the app is not installed. */
function command(pkg: string): string | undefined {
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), 'src', 'cli.ts');
  } catch {
    return undefined;
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command's source entry with the workspace's Node; `onLine` sees stdout lines. */
function start(entry: string, args: string[], onLine?: (line: string) => void) {
  const child = spawn(process.execPath, ['--conditions=@aiots/source', entry, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() as string;
    for (const line of lines) onLine?.(line);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

function check(what: string, r: Run): void {
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code}:\n${r.stderr}${r.stdout}`);
}

const heading = (text: string) => console.log(`\n== ${text}`);
const report: string[] = [];

// ---- 1. the crawler ------------------------------------------------------------------------

async function crawlStep(): Promise<void> {
  heading('aiots-crawl --depth 2, on a local site');
  const topics = ['loop', 'tasks', 'sync', 'queues', 'streams', 'serial', 'http', 'executors'];
  const page = (title: string, links: string[]) =>
    new Response(
      `<!doctype html><title>${title}</title><h1>${title}</h1>${links
        .map((l) => `<a href="${l}">${l}</a>`)
        .join(' ')}<!-- <a href="/drafts">not a link: a comment</a> -->`,
      { headers: { 'content-type': 'text/html; charset=utf-8' } },
    );
  const site = await serve(async (req) => {
    if (req.path === '/robots.txt') return new Response('User-agent: *\nDisallow: /private\n');
    if (req.path === '/')
      return page('aiots docs', [...topics.map((t) => `/docs/${t}`), '/private/notes']);
    const topic = /^\/docs\/(\w+)$/.exec(req.path)?.[1];
    if (topic !== undefined && topics.includes(topic)) {
      const i = topics.indexOf(topic);
      // Each topic links home, to the next topic, to its API page, and (for one) to a page that is gone.
      const links = ['/', `../docs/${topics[(i + 1) % topics.length]}#intro`, `/api/${topic}`];
      if (topic === 'http') links.push('/docs/old-http');
      return page(topic, links);
    }
    const api = /^\/api\/(\w+)$/.exec(req.path)?.[1];
    if (api !== undefined && topics.includes(api)) return page(`${api} API`, [`/docs/${api}`]);
    return new Response('Not Found', { status: 404 });
  });
  try {
    const crawl = command('@aiots/crawler') as string;
    const out = join(work, 'foundurls.txt');
    const urls = join(work, 'urls.txt');
    await import('node:fs/promises').then((fs) => fs.writeFile(urls, `${site.url}/\n`));
    console.log(`$ aiots-crawl urls.txt -o foundurls.txt --depth 2      (urls.txt: ${site.url}/)`);
    const r = await start(crawl, [urls, '-o', out, '--depth', '2']).done;
    check('aiots-crawl', r);
    const log = r.stderr.trimEnd().split('\n');
    const got = log.filter((l) => l.includes('Got response'));
    for (const line of got.slice(0, 3)) console.log(line);
    console.log(`... ${got.length - 3} more pages ...`);
    for (const line of log.filter((l) => /Error for|Skipped/.test(l))) console.log(line);
    const summary = log.at(-1) as string;
    console.log(summary);
    const tsv = readFileSync(out, 'utf8').trimEnd().split('\n');
    console.log(`foundurls.txt: ${tsv.length - 1} lines, the first three:`);
    for (const line of tsv.slice(0, 4)) console.log(`  ${line.replaceAll(site.url, '')}`);
    report.push(`crawler: ${summary.replace(/^.*INFO:aiots-crawl: Done: /, '')}`);
  } finally {
    await site.close();
  }
}

// ---- 2. the queue demo ---------------------------------------------------------------------

async function queueStep(): Promise<void> {
  heading('aiots-queue-demo -p 2 -c 3 --virtual-time');
  const entry = command('@aiots/queue-demo');
  if (entry === undefined) {
    console.log('(skipped: @aiots/queue-demo is not installed in this workspace)');
    report.push('queue demo: skipped (not installed)');
    return;
  }
  const t0 = performance.now();
  const r = await start(entry, ['-p', '2', '-c', '3', '--virtual-time']).done;
  check('aiots-queue-demo', r);
  const lines = r.stdout.trimEnd().split('\n');
  for (const line of lines.slice(0, 6)) console.log(line);
  if (lines.length > 7) console.log(`... ${lines.length - 7} more lines ...`);
  if (lines.length > 6) console.log(lines.at(-1));
  const wall = ((performance.now() - t0) / 1000).toFixed(2);
  report.push(
    `queue demo: ${lines.at(-1)?.replace(/\.$/, '')} of virtual time, ${wall} s of wall time`,
  );
}

// ---- 3. the echo server --------------------------------------------------------------------

async function echoStep(): Promise<void> {
  heading('aiots-echo serve, with TCP and UDP clients');
  const echo = command('@aiots/echo') as string;
  console.log('$ aiots-echo serve --tcp 0 --udp 0');
  const ports: Record<string, number> = {};
  const ready = Promise.withResolvers<void>();
  const server = start(echo, ['serve', '--tcp', '0', '--udp', '0'], (line) => {
    const m = /^(TCP|UDP) echo server on 127\.0\.0\.1:(\d+)$/.exec(line);
    if (m !== null) ports[m[1] as string] = Number(m[2]);
    if (ports.TCP !== undefined && ports.UDP !== undefined) ready.resolve();
  });
  void server.done.then((r) => ready.reject(new Error(`aiots-echo serve exited:\n${r.stderr}`)));
  await ready.promise;
  try {
    const messages = ['hello', 'from', 'aiots'];
    const flags = messages.flatMap((m) => ['-m', m]);
    console.log(`$ aiots-echo client tcp --port ${ports.TCP} ${flags.join(' ')}`);
    const tcp = await start(echo, ['client', 'tcp', '--port', String(ports.TCP), ...flags]).done;
    check('aiots-echo client tcp', tcp);
    process.stdout.write(tcp.stdout);
    console.log(
      `$ aiots-echo client udp --port ${ports.UDP} --timeout-ms 10000 ${flags.join(' ')}`,
    );
    const udp = await start(echo, [
      'client',
      'udp',
      '--port',
      String(ports.UDP),
      '--timeout-ms',
      '10000',
      ...flags,
    ]).done;
    check('aiots-echo client udp', udp);
    process.stdout.write(udp.stdout);
    const tcpOk = tcp.stdout.split('\n').filter((l) => l.startsWith('Received: ')).length;
    const udpOk = udp.stdout.split('\n').filter((l) => l.startsWith('Received: ')).length;
    report.push(
      `echo: ${tcpOk}/${messages.length} TCP and ${udpOk}/${messages.length} UDP round trips`,
    );
  } finally {
    server.child.kill('SIGINT');
    const r = await server.done;
    console.log('server log:');
    for (const line of r.stdout.trimEnd().split('\n')) console.log(`  ${line}`);
    check('aiots-echo serve', r);
  }
}

try {
  await crawlStep();
  await queueStep();
  await echoStep();
  heading('Report');
  for (const line of report) console.log(line);
  console.log(
    `Demo done in ${((performance.now() - started) / 1000).toFixed(1)} s, on loopback only.`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
