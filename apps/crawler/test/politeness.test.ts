// Per-host limits and robots.txt rules, on virtual time where time is the logic: the
// HostGate's delay and slots, and RobotsCache's answers for every kind of robots.txt.
import { createTask, gather, getRunningLoop, run, sleep, VirtualClock } from '@aiots/loop';
import { describe, expect, it } from 'vitest';
import { HostGate } from '../src/host-gate.ts';
import { type RobotsAnswer, RobotsCache } from '../src/robots.ts';

describe('HostGate', () => {
  it('spaces the starts of requests to one host by delayMs, and runs other hosts freely', async () => {
    const starts: [string, number][] = [];
    await run(
      async () => {
        const gate = new HostGate(8, 1000);
        const t0 = getRunningLoop().time();
        const fetch = (host: string) =>
          createTask(() =>
            gate.run(host, async () => {
              starts.push([host, getRunningLoop().time() - t0]);
              await sleep(10);
            }),
          );
        await gather([fetch('a'), fetch('a'), fetch('b'), fetch('a'), fetch('b')]);
      },
      { clock: new VirtualClock() },
    );
    expect(starts).toEqual([
      ['a', 0],
      ['b', 0],
      ['a', 1000],
      ['b', 1000],
      ['a', 2000],
    ]);
  });

  it('keeps the delay between requests that do not overlap', async () => {
    const starts: number[] = [];
    await run(
      async () => {
        const gate = new HostGate(1, 500);
        const t0 = getRunningLoop().time();
        for (let i = 0; i < 3; i++) {
          await gate.run('a', async () => {
            starts.push(getRunningLoop().time() - t0);
          });
        }
      },
      { clock: new VirtualClock() },
    );
    expect(starts).toEqual([0, 500, 1000]);
  });

  it('runs at most perHost at once per host', async () => {
    let now = 0;
    let most = 0;
    await run(
      async () => {
        const gate = new HostGate(3, 0);
        const one = () =>
          createTask(() =>
            gate.run('a', async () => {
              most = Math.max(most, ++now);
              await sleep(100);
              now--;
            }),
          );
        await gather(Array.from({ length: 10 }, one));
      },
      { clock: new VirtualClock() },
    );
    expect(most).toBe(3);
  });
});

describe('RobotsCache', () => {
  const url = (u: string) => new URL(u);

  async function verdicts(answer: RobotsAnswer, urls: string[], agent = 'aiots-crawl') {
    const fetched: string[] = [];
    const cache = new RobotsCache(async (robotsUrl) => {
      fetched.push(robotsUrl);
      return answer;
    }, agent);
    const allowed = await run(() => gather(urls.map((u) => cache.allowed(url(u)))));
    return { allowed, fetched };
  }

  it('applies the rules of a 200, for the group of its user agent', async () => {
    const text =
      'User-agent: *\nDisallow: /private\nAllow: /private/open\n\nUser-agent: picky\nDisallow: /\n';
    const urls = ['http://h.test/', 'http://h.test/private/x', 'http://h.test/private/open/y'];
    expect((await verdicts({ status: 200, text }, urls)).allowed).toEqual([true, false, true]);
    expect((await verdicts({ status: 200, text }, urls, 'picky/1.0')).allowed).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('fetches robots.txt once per origin, however many ask at once', async () => {
    const { fetched } = await verdicts({ status: 200, text: '' }, [
      'http://h.test/a',
      'http://h.test/b',
      'http://h.test:8080/c',
      'https://h.test/d',
    ]);
    expect(fetched.sort()).toEqual([
      'http://h.test/robots.txt',
      'http://h.test:8080/robots.txt',
      'https://h.test/robots.txt',
    ]);
  });

  it('allows everything after a 4xx, nothing after a 5xx (RFC 9309)', async () => {
    expect((await verdicts({ status: 404, text: '' }, ['http://h.test/x'])).allowed).toEqual([
      true,
    ]);
    expect((await verdicts({ status: 403, text: '' }, ['http://h.test/x'])).allowed).toEqual([
      true,
    ]);
    expect((await verdicts({ status: 503, text: '' }, ['http://h.test/x'])).allowed).toEqual([
      false,
    ]);
  });

  it('leaves a host that cannot be reached to the page request (allowed)', async () => {
    expect((await verdicts('unreachable', ['http://h.test/x'])).allowed).toEqual([true]);
  });

  it('lets the next caller fetch when the first one was cancelled', async () => {
    const fetched: string[] = [];
    const cache = new RobotsCache(async (robotsUrl) => {
      fetched.push(robotsUrl);
      if (fetched.length === 1) await sleep(1_000_000); // the first fetch hangs...
      return { status: 200, text: 'User-agent: *\nDisallow: /no\n' };
    }, 'aiots-crawl');
    const verdict = await run(
      async () => {
        const first = createTask(() => cache.allowed(url('http://h.test/no')));
        const second = createTask(() => cache.allowed(url('http://h.test/no')));
        await sleep(10);
        first.cancel(); // ...and its task is cancelled: the waiting one fetches again
        return second;
      },
      { clock: new VirtualClock() },
    );
    expect(verdict).toBe(false);
    expect(fetched).toHaveLength(2);
  });
});
