// What happens to a process pool's children when the program that owns them dies, exits or
// gets Ctrl-C. Each test runs a real parent program (fixtures/parent.mjs) in its own process
// group, so signals sent to "the terminal's process group" reach it and its children only.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';

const parentScript = fileURLToPath(new URL('./fixtures/parent.mjs', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Gone: no such process, or a zombie nobody has reaped yet (it runs no code). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Polls real process state until `cond()` holds; false if it does not within `ms`. */
async function within(ms: number, cond: () => boolean): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

interface Parent {
  child: ChildProcess;
  dir: string;
  lines: string[];
  /** Resolves with the first line starting with `prefix`. */
  line(prefix: string): Promise<string>;
  exited: Promise<number | null>;
}

const leftovers: number[] = [];

afterEach(() => {
  // A failed test must not leave spinning processes behind.
  for (const pid of leftovers.splice(0)) {
    // Never 0 or negative: process.kill(0) would kill this test's own process group.
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
});

function startParent(mode: string): Parent {
  const dir = mkdtempSync(join(tmpdir(), 'aiots-parent-'));
  const child = spawn(process.execPath, ['--conditions=@aiots/source', parentScript, mode, dir], {
    cwd: packageDir,
    detached: true, // its own process group, like a program started from a shell
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  leftovers.push(child.pid as number);
  const lines: string[] = [];
  const waiting: { prefix: string; resolve: (l: string) => void }[] = [];
  let buf = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d;
  });
  child.stdout?.on('data', (d: Buffer) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(l);
      for (const w of waiting.splice(0)) {
        if (l.startsWith(w.prefix)) w.resolve(l);
        else waiting.push(w);
      }
    }
  });
  // 'exit', not 'close': a child that outlives the parent holds the inherited pipes open.
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    dir,
    lines,
    exited,
    line: (prefix) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((l) => l.startsWith(prefix));
        if (seen !== undefined) return resolve(seen);
        waiting.push({ prefix, resolve });
        void closed.then(() =>
          reject(new Error(`parent ended before "${prefix}": ${lines.join('\n')}\n${stderr}`)),
        );
      }),
  };
}

async function readyPids(p: Parent): Promise<number[]> {
  const pids = (await p.line('ready ')).split(' ').slice(1).map(Number);
  for (const pid of pids) expect(Number.isInteger(pid) && pid > 0, `pid ${pid}`).toBe(true);
  leftovers.push(...pids);
  for (const pid of pids) expect(gone(pid)).toBe(false);
  return pids;
}

test('a child busy in a synchronous job dies soon after its parent is SIGKILLed', async () => {
  const p = startParent('kill');
  const [pid] = await readyPids(p);
  process.kill(p.child.pid as number, 'SIGKILL');
  await p.exited;
  // The child's watchdog checks about every 200 ms; the bound is loose for a loaded machine.
  expect(await within(5_000, () => gone(pid as number))).toBe(true);
}, 30_000);

test('a parent that exits kills its children, busy or idle', async () => {
  const p = startParent('exit');
  const pids = await readyPids(p);
  expect(pids).toHaveLength(2);
  writeFileSync(join(p.dir, 'proceed'), '');
  expect(await p.exited).toBe(0);
  expect(await within(5_000, () => pids.every(gone))).toBe(true);
}, 30_000);

test('a parent whose event loop ends leaves no idle children behind', async () => {
  const p = startParent('natural');
  const pids = await readyPids(p);
  expect(pids).toHaveLength(2);
  writeFileSync(join(p.dir, 'proceed'), '');
  expect(await p.exited).toBe(0);
  expect(await within(5_000, () => pids.every(gone))).toBe(true);
}, 30_000);

test.each(['sigint', 'runmain'])(
  'Ctrl-C on the process group (%s): running jobs finish and the program gets their results',
  async (mode) => {
    const p = startParent(mode);
    const pids = await readyPids(p);
    expect(pids).toHaveLength(2);
    process.kill(-(p.child.pid as number), 'SIGINT'); // what the terminal does on Ctrl-C
    await p.line('SIGINT');
    writeFileSync(join(p.dir, 'go'), '');
    expect(await p.line('results ').catch((e: Error) => e.message)).toBe('results [1,2]');
    expect(await p.exited).toBe(0);
    expect(p.lines.filter((l) => l.startsWith('failed'))).toEqual([]);
  },
  30_000,
);
