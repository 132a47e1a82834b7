// The built command, run as a user runs it: `node dist/cli.js` (what the `aiots-queue-demo`
// bin points at), in its own process, without the workspace's source condition.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from './dist-build.ts';
import { fixtures, maskTimes, normalizeIds } from './helpers.ts';
import { runCli } from './run-cli.ts';

const lines = (text: string): string[] => text.trimEnd().split('\n');

beforeAll(() => ensureDist(), 180_000);

describe('aiots-queue-demo --help', () => {
  it.each([['--help'], ['-h']])('%s prints the usage and exits 0', async (flag) => {
    const r = await runCli([flag]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: aiots-queue-demo \[-p NPROD\] \[-c NCON\] \[--seed N\]/);
    for (const option of ['--nprod', '--ncon', '--seed', '--virtual-time', '--help']) {
      expect(r.stdout).toContain(option);
    }
  });
});

describe('aiots-queue-demo usage errors: one line on stderr, exit code 2, nothing run', () => {
  it.each([
    [['--bogus'], "unknown option '--bogus'"],
    [['-x'], "unknown option '-x'"],
    [['-p'], "option '-p, --nprod <value>' argument missing"],
    [['-p', 'x'], "expected -p/--nprod to be an integer from 0 to 100000, got 'x'"],
    [['--nprod', '1.5'], "expected -p/--nprod to be an integer from 0 to 100000, got '1.5'"],
    [['-p', '100001'], "expected -p/--nprod to be an integer from 0 to 100000, got '100001'"],
    [['-c', '0'], "expected -c/--ncon to be an integer from 1 to 100000, got '0'"],
    [['-p', '-5'], "option '-p' argument is ambiguous: to pass a value starting with '-', use"],
    [['--seed', 'abc'], "expected --seed to be an integer, got 'abc'"],
    [['--seed', '1e3'], "expected --seed to be an integer, got '1e3'"],
    [['--virtual-time=yes'], "option '--virtual-time' does not take an argument"],
    [['extra'], "unexpected argument 'extra'"],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^aiots-queue-demo: [^\n]+ \(see --help\)\n$/);
    expect(r.stderr).toContain(message);
  });
});

describe('aiots-queue-demo --virtual-time against CPython', () => {
  it.each(fixtures().map((f) => [f.file, f] as const))('%s', async (_, f) => {
    const args = ['--virtual-time', `--seed=${f.seed}`, '-p', String(f.nprod), '-c', `${f.ncon}`];
    const r = await runCli(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(normalizeIds(lines(r.stdout))).toEqual(normalizeIds(f.lines));
  });

  it('runs the seed defaults (-p 5 -c 10, seed 444) and reports its wall time', async () => {
    const want = fixtures().find((f) => f.file === 'asyncq-seed444-p5-c10.txt');
    const r = await runCli(['--virtual-time']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(normalizeIds(lines(r.stdout))).toEqual(normalizeIds(want?.lines ?? []));
    const virtual = lines(r.stdout).at(-1);
    // Reported, not asserted (no timing assertions on a shared machine).
    console.log(
      `aiots-queue-demo --virtual-time (-p 5 -c 10): ${virtual} Wall time, Node start-up included: ${Math.round(r.wallMs)} ms`,
    );
  });
});

describe('aiots-queue-demo on the real clock', () => {
  it('sleeps real seconds and prints the same schedule', async () => {
    // Seed 2808 with one producer and two consumers sleeps one second in all.
    const want = fixtures().find((f) => f.file === 'asyncq-seed2808-p1-c2.txt');
    const r = await runCli(['--seed', '2808', '-p', '1', '-c', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(maskTimes(normalizeIds(lines(r.stdout)))).toEqual(
      maskTimes(normalizeIds(want?.lines ?? [])),
    );
    console.log(`real-time run: ${lines(r.stdout).at(-1)} (${Math.round(r.wallMs)} ms wall)`);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s stops it cleanly with exit code %i', async (signal, exitCode) => {
    let sent = false;
    // The defaults sleep for tens of real seconds; the signal goes once the run has begun.
    const r = await runCli([], (_, child) => {
      if (!sent) {
        sent = true;
        child.kill(signal);
      }
    });
    expect(sent).toBe(true);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(exitCode);
    expect(r.stdout).not.toContain('Program completed');
  });
});
