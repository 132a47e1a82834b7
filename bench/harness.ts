/**
 * The comparison harness every `*.bench.ts` uses: our code and its peers measured in the same
 * process, interleaved, over several rounds, with a forced GC before each timed run.
 *
 * Why interleaved rounds: this machine has two cores shared with other work, so a load spike
 * hits whichever entry happens to be running. Alternating the order every round and taking
 * medians spreads a spike over every entry instead of skewing one ratio. Timing uses mitata's
 * `measure()` (see README.md for why mitata): one call per entry per round, a handful of
 * samples each, `globalThis.gc()` before every sample.
 */
import { arch, cpus, loadavg } from 'node:os';
import { measure } from 'mitata';

/** One side of a comparison: a name and a function that performs `ops` operations per call. */
export interface Entry {
  name: string;
  fn: () => Promise<void> | void;
  /** Operations per call for this entry, when it differs from the comparison's `ops`. */
  ops?: number;
}

/**
 * What must hold for a comparison to PASS, against the peer named by `vs` (an exact peer
 * name, or a unique prefix or substring of one):
 * - `{ vs, atLeast: n }`: ours is at least n times faster (peer time / our time >= n);
 * - `{ vs, atMost: n }`: ours costs at most n times the peer (our time / peer time <= n);
 *   `atMost: 1` means "no slower".
 *
 * The string forms `'>=2x faster than p-limit'`, `'<=1.5x floor'` and
 * `'no slower than setTimeout'` mean the same things.
 */
export type Target = { vs: string; atLeast: number } | { vs: string; atMost: number } | string;

/** Options of `compare`. */
export interface CompareOptions {
  /** One target or several; each is reported as PASS or MISS. */
  target?: Target | Target[];
  /** Operations per call (default 1), for the per-operation column and ratios. */
  ops?: number;
  /** Timed rounds (default 5); every round runs every entry, in alternating order. */
  rounds?: number;
  /** Timed samples per entry per round (default 3). */
  samples?: number;
  /** Untimed warm-up calls of each entry before the first round (default 2). */
  warmup?: number;
}

/** The measurements of one entry. Times are in milliseconds per call. */
export interface EntryResult {
  name: string;
  ours: boolean;
  ops: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Median time per operation, in microseconds. */
  perOpUs: number;
  /**
   * Median CPU time (user + system, all threads of the process) per operation, in
   * microseconds: unlike wall time, it does not grow while other processes hold the cores.
   */
  cpuPerOpUs: number;
  samples: number;
}

/** How a peer compares with ours: `speedup` = peer time per op / our time per op. */
export interface RatioResult {
  peer: string;
  speedup: number;
  /** The same ratio in CPU time. */
  cpuSpeedup: number;
  text: string;
}

/** A target and whether the measurement met it. */
export interface TargetResult {
  text: string;
  vs: string;
  kind: 'atLeast' | 'atMost';
  limit: number;
  /** The measured value the limit applies to: speedup for `atLeast`, cost for `atMost`. */
  measured: number;
  /** The same value in CPU time, for reading a MISS on a loaded machine (PASS uses `measured`). */
  cpuMeasured: number;
  pass: boolean;
}

/** Everything `compare` measured, as written to results.json. */
export interface CompareResult {
  suite: string;
  title: string;
  ops: number;
  rounds: number;
  entries: EntryResult[];
  ratios: RatioResult[];
  targets: TargetResult[];
  /** Set when `--grep` left this comparison out: nothing was measured. */
  skipped?: true;
}

/** The shape of results.json: the latest results of each suite, with where they were taken. */
export interface ResultsFile {
  suites: Record<
    string,
    { environment: Record<string, unknown>; date: string; results: CompareResult[] }
  >;
}

let currentSuite = 'adhoc';
let grep: string | undefined;
const collected: CompareResult[] = [];

/** Names the suite that following `compare` calls belong to (run.ts sets the file's name). */
export function setSuite(name: string): void {
  currentSuite = name;
}

/** Runs only the comparisons whose title contains `text` (case-insensitive); the rest are skipped. */
export function setGrep(text: string | undefined): void {
  grep = text?.toLowerCase();
}

/** Every result of this process so far. */
export function results(): readonly CompareResult[] {
  return collected;
}

/** The machine, for results.json: numbers mean little without it. */
export function environment(): Record<string, unknown> {
  const cpu = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${arch()}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    loadavg: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

function median(sorted: number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function resolvePeer(vs: string, peers: readonly Entry[]): string {
  const names = peers.map((p) => p.name);
  if (names.includes(vs)) return vs;
  const lower = vs.toLowerCase();
  for (const test of [
    (n: string) => n.toLowerCase().startsWith(lower),
    (n: string) => n.toLowerCase().includes(lower),
  ]) {
    const found = names.filter(test);
    if (found.length === 1) return found[0] as string;
    if (found.length > 1) {
      throw new TypeError(`Target peer ${JSON.stringify(vs)} is ambiguous: ${found.join(', ')}`);
    }
  }
  throw new TypeError(`Target peer ${JSON.stringify(vs)} is not one of: ${names.join(', ')}`);
}

const TARGET_GRAMMAR = "'>=<n>x faster than <peer>', '<=<n>x <peer>' or 'no slower than <peer>'";

function parseTarget(t: Target): { vs: string; kind: 'atLeast' | 'atMost'; limit: number } {
  if (typeof t === 'object' && t !== null) {
    if ('atLeast' in t) return { vs: t.vs, kind: 'atLeast', limit: t.atLeast };
    if ('atMost' in t) return { vs: t.vs, kind: 'atMost', limit: t.atMost };
  }
  if (typeof t === 'string') {
    const noSlower = /^\s*no slower than\s+(.+?)\s*$/i.exec(t);
    if (noSlower) return { vs: noSlower[1] as string, kind: 'atMost', limit: 1 };
    const m =
      /^\s*(>=|<=)\s*(\d+(?:\.\d+)?)\s*x\s+(?:(?:faster|slower) than\s+|the\s+|of\s+)?(.+?)\s*$/i.exec(
        t,
      );
    if (m) {
      return {
        vs: m[3] as string,
        kind: m[1] === '>=' ? 'atLeast' : 'atMost',
        limit: Number(m[2]),
      };
    }
  }
  throw new TypeError(
    `Expected a target like ${TARGET_GRAMMAR} or { vs, atLeast | atMost }, got ${JSON.stringify(t)}`,
  );
}

function targetText(kind: 'atLeast' | 'atMost', limit: number, vs: string): string {
  if (kind === 'atLeast') return `>= ${limit}x faster than ${vs}`;
  return limit === 1 ? `no slower than ${vs}` : `<= ${limit}x ${vs}`;
}

/** "2.30x faster" / "1.25x slower" for a speedup (peer time / our time). */
export function speedupText(speedup: number): string {
  if (!Number.isFinite(speedup)) return 'n/a';
  return speedup >= 1 ? `${speedup.toFixed(2)}x faster` : `${(1 / speedup).toFixed(2)}x slower`;
}

function formatMs(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Microseconds per operation, with enough digits to compare. */
export function formatUs(us: number): string {
  if (us >= 100) return `${us.toFixed(0)} us`;
  if (us >= 10) return `${us.toFixed(1)} us`;
  return `${us.toFixed(3)} us`;
}

async function callOnce(fn: Entry['fn']): Promise<void> {
  await fn();
}

/** Calls `fn` once and records the CPU time it took, in milliseconds. */
async function callTimed(fn: Entry['fn'], cpu: number[]): Promise<void> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  cpu.push((used.user + used.system) / 1000);
}

/**
 * Measures `ours` against `peers`: each is warmed up, then for `rounds` rounds every entry runs
 * `samples` timed calls (a forced GC before each), in an order that alternates every round.
 * Prints a line per entry (median per call and per operation), the ratio of each peer to ours
 * and every target with PASS or MISS; returns the same and keeps it for results.json.
 *
 * @throws {Error} when the process was started without `--expose-gc`.
 * @example
 * ```ts
 * await compare('sum', { name: 'ours', fn: () => {} }, [{ name: 'peer', fn: () => {} }], {
 *   ops: 1, target: { vs: 'peer', atLeast: 1 },
 * });
 * ```
 */
export async function compare(
  title: string,
  ours: Entry,
  peers: Entry[],
  opts: CompareOptions = {},
): Promise<CompareResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') {
    throw new Error(
      'The benchmarks force a GC before each timed run: start node with --expose-gc (pnpm bench does)',
    );
  }
  const ops = opts.ops ?? 1;
  if (grep !== undefined && !title.toLowerCase().includes(grep)) {
    return {
      suite: currentSuite,
      title,
      ops,
      rounds: 0,
      entries: [],
      ratios: [],
      targets: [],
      skipped: true,
    };
  }
  const rounds = opts.rounds ?? 5;
  const perRound = opts.samples ?? 3;
  const warmup = opts.warmup ?? 2;
  const targets = (
    opts.target === undefined ? [] : Array.isArray(opts.target) ? opts.target : [opts.target]
  ).map((t) => {
    const p = parseTarget(t);
    return { ...p, vs: resolvePeer(p.vs, peers) };
  });

  const all = [ours, ...peers];
  const samples = all.map((): number[] => []);
  const cpuSamples = all.map((): number[] => []);
  const order = all.map((_, i) => i);

  for (let w = 0; w < warmup; w++) {
    for (const i of w % 2 === 0 ? order : [...order].reverse())
      await callOnce((all[i] as Entry).fn);
  }
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 === 0 ? order : [...order].reverse()) {
      const fn = (all[i] as Entry).fn;
      const cpu: number[] = [];
      const stats = await measure(() => callTimed(fn, cpu), {
        gc,
        inner_gc: true,
        min_samples: perRound,
        max_samples: perRound,
        min_cpu_time: 0,
        warmup_samples: 0,
        batch_threshold: 0,
      });
      for (const ns of stats.samples) (samples[i] as number[]).push(ns / 1e6);
      // measure() makes one untimed call before its samples.
      (cpuSamples[i] as number[]).push(...cpu.slice(1));
    }
  }

  const entries: EntryResult[] = all.map((e, i) => {
    const s = (samples[i] as number[]).sort((a, b) => a - b);
    const entryOps = e.ops ?? ops;
    const med = median(s);
    const cpuMed = median((cpuSamples[i] as number[]).sort((a, b) => a - b));
    return {
      name: e.name,
      ours: i === 0,
      ops: entryOps,
      medianMs: med,
      minMs: s[0] as number,
      maxMs: s[s.length - 1] as number,
      perOpUs: (med * 1000) / entryOps,
      cpuPerOpUs: (cpuMed * 1000) / entryOps,
      samples: s.length,
    };
  });
  const mine = entries[0] as EntryResult;
  const ratios: RatioResult[] = entries.slice(1).map((p) => {
    const speedup = p.perOpUs / mine.perOpUs;
    const cpuSpeedup = p.cpuPerOpUs / mine.cpuPerOpUs;
    return {
      peer: p.name,
      speedup,
      cpuSpeedup,
      text: `${mine.name} is ${speedupText(speedup)} than ${p.name} (CPU time: ${speedupText(cpuSpeedup)})`,
    };
  });
  const targetResults: TargetResult[] = targets.map(({ vs, kind, limit }) => {
    const { speedup, cpuSpeedup } = ratios.find((r) => r.peer === vs) as RatioResult;
    const measured = kind === 'atLeast' ? speedup : 1 / speedup;
    const cpuMeasured = kind === 'atLeast' ? cpuSpeedup : 1 / cpuSpeedup;
    const pass = kind === 'atLeast' ? measured >= limit : measured <= limit;
    return { text: targetText(kind, limit, vs), vs, kind, limit, measured, cpuMeasured, pass };
  });

  const result: CompareResult = {
    suite: currentSuite,
    title,
    ops,
    rounds,
    entries,
    ratios,
    targets: targetResults,
  };
  collected.push(result);
  printResult(result);
  return result;
}

function printResult(r: CompareResult): void {
  const width = Math.max(...r.entries.map((e) => e.name.length));
  const lines = [`\n${r.title}  (${r.ops} ops/run, ${r.rounds} rounds)`];
  for (const e of r.entries) {
    lines.push(
      `  ${e.ours ? '*' : ' '} ${e.name.padEnd(width)}  ${formatMs(e.medianMs).padStart(9)}/run  ${formatUs(e.perOpUs).padStart(10)}/op` +
        `  cpu ${formatUs(e.cpuPerOpUs).padStart(10)}/op` +
        `  (min ${formatMs(e.minMs)}, max ${formatMs(e.maxMs)}, n=${e.samples}${e.ops !== r.ops ? `, ${e.ops} ops/run` : ''})`,
    );
  }
  for (const ratio of r.ratios) lines.push(`    ${ratio.text}`);
  for (const t of r.targets) {
    const unit = t.kind === 'atLeast' ? 'x faster' : 'x';
    lines.push(
      `    target ${t.text}: ${t.measured.toFixed(2)}${unit} (CPU time ${t.cpuMeasured.toFixed(2)}${unit}) -> ${t.pass ? 'PASS' : 'MISS'}`,
    );
  }
  console.log(lines.join('\n'));
}

/**
 * The Markdown table of `list`: one row per peer of every comparison, with both times per
 * operation, the wall-clock and CPU-time ratios, and the targets that name that peer.
 */
export function markdownTable(list: readonly CompareResult[]): string {
  const rows = [
    '| Suite | Case | Ours / op | Peer | Peer / op | Ours vs peer | (CPU time) | Target | Result |',
    '| --- | --- | ---: | --- | ---: | --- | --- | --- | --- |',
  ];
  for (const r of list) {
    const mine = r.entries[0] as EntryResult;
    for (const p of r.entries.slice(1)) {
      const ts = r.targets.filter((t) => t.vs === p.name);
      const cells = [
        r.suite,
        r.title,
        formatUs(mine.perOpUs),
        p.name,
        formatUs(p.perOpUs),
        speedupText(p.perOpUs / mine.perOpUs),
        speedupText(p.cpuPerOpUs / mine.cpuPerOpUs),
        ts.map((t) => t.text).join('; '),
        ts.map((t) => (t.pass ? '**PASS**' : '**MISS**')).join('; '),
      ];
      rows.push(`| ${cells.join(' | ')} |`);
    }
  }
  return rows.join('\n');
}
