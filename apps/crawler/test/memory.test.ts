// The memory a large crawl's frontier and seen-set take: 1,000,000 URLs of a realistic
// length, claimed into a MemorySeenSet and a MemoryFrontier in a process of their own
// (`--expose-gc`, so the figure is live heap, not garbage), printed, and held well under 1 GiB.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { packageDir } from './dist-build.ts';

const script = `
import { MemoryFrontier, MemorySeenSet } from '@aiots/crawler';
const N = 1_000_000;
gc();
const before = process.memoryUsage();
const seen = new MemorySeenSet();
const frontier = new MemoryFrontier();
for (let i = 0; i < N; i++) {
  // about 70 characters, as URLs on a site tend to be
  const url = 'https://www.example-site.com/articles/2024/' + (i * 7919).toString(36) + '/page-' + i + '.html';
  if (await seen.add(url)) await frontier.claim('1 ' + url);
}
gc();
const after = process.memoryUsage();
console.log(JSON.stringify({
  urls: await seen.size(),
  queued: frontier.queued,
  heapBytes: after.heapUsed - before.heapUsed,
  rssBytes: after.rss - before.rss,
}));
`;

it('a frontier and seen-set of 1,000,000 URLs take well under 1 GiB', () => {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--conditions=@aiots/source', '--input-type=module', '-e', script],
    { cwd: packageDir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const m = JSON.parse(out) as {
    urls: number;
    queued: number;
    heapBytes: number;
    rssBytes: number;
  };
  const mib = (n: number) => (n / 1024 / 1024).toFixed(0);
  console.log(
    `1,000,000 URLs in the seen-set and frontier: ${mib(m.heapBytes)} MiB of heap, ${mib(m.rssBytes)} MiB of RSS`,
  );
  expect(m.urls).toBe(1_000_000);
  expect(m.queued).toBe(1_000_000);
  expect(m.heapBytes).toBeLessThan(512 * 1024 * 1024);
  expect(m.rssBytes).toBeLessThan(768 * 1024 * 1024);
}, 120_000);
