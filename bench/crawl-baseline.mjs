// The seed's crawler written the plain Node way, as the baseline of crawl.bench.ts: undici's
// request(), p-limit for the concurrency, the seed's regex `href="(.*?)"` for links, `new
// URL(link, url)` for urljoin, the seed's log lines on stderr, each page's lines appended to
// OUT (as areq.py does with aiofiles). Follows links DEPTH levels deep, each URL once.
//
//   node crawl-baseline.mjs URLS_FILE OUT DEPTH CONCURRENCY
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import pLimit from 'p-limit';
import { Agent, request } from 'undici';

const [urlsFile, out, depthArg, concurrencyArg] = process.argv.slice(2);
const maxDepth = Number(depthArg ?? 0);
const concurrency = Number(concurrencyArg ?? 100);
const HREF_RE = /href="(.*?)"/g;
const agent = new Agent({ connections: concurrency });
const limit = pLimit(concurrency);
const seen = new Set();

const pad = (n) => String(n).padStart(2, '0');
function log(level, message) {
  const d = new Date();
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  process.stderr.write(`${time} ${level}:baseline: ${message}\n`);
}

async function fetchHtml(url) {
  const res = await request(url, { dispatcher: agent });
  if (res.statusCode >= 400) {
    await res.body.dump();
    throw Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode });
  }
  log('INFO', `Got response [${res.statusCode}] for URL: ${url}`);
  return res.body.text();
}

async function parse(url) {
  const found = new Set();
  let html;
  try {
    html = await fetchHtml(url);
  } catch (e) {
    log('ERROR', `Error for ${url} [${e.status ?? e.code}]: ${e.message}`);
    return found;
  }
  for (const [, link] of html.matchAll(HREF_RE)) {
    try {
      found.add(new URL(link, url).href);
    } catch {
      log('ERROR', `Error parsing URL: ${link}`);
    }
  }
  log('INFO', `Found ${found.size} links for ${url}`);
  return found;
}

async function writeOne(url, depth) {
  const found = await limit(() => parse(url));
  if (found.size > 0) {
    let text = '';
    for (const p of found) text += `${url}\t${p}\n`;
    await appendFile(out, text);
    log('INFO', `Wrote results for source URL: ${url}`);
  }
  if (depth >= maxDepth) return;
  const next = [];
  for (const link of found) {
    if (seen.has(link)) continue;
    seen.add(link);
    next.push(writeOne(link, depth + 1));
  }
  await Promise.all(next);
}

const urls = new Set(
  (await readFile(urlsFile, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean),
);
await writeFile(out, 'source_url\tparsed_url\n');
for (const u of urls) seen.add(u);
await Promise.all([...urls].map((u) => writeOne(u, 0)));
await agent.close();
