/**
 * Subprocesses: asyncio-semantics.md 4.J case 150, the pipes as streams, cancellation
 * (no zombie, no open pipe), the watcher at loop shutdown, and bad input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CancelledError, createTask, run, TimeoutError, waitFor } from '@aiots/loop';
import {
  createSubprocessExec,
  createSubprocessShell,
  type Process,
  SubprocessError,
} from '@aiots/streams';
import { describe, expect, test } from 'vitest';
import { captureExceptions, inLoop, tick } from './helpers.ts';

const node = process.execPath;

/** True while a process with this pid exists (a zombie counts: its /proc entry stays). */
function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

function state(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  } catch {
    return undefined;
  }
}

describe('exec and shell (150)', () => {
  test(
    'a child that upper-cases stdin and exits with 3',
    inLoop(async () => {
      const proc = await createSubprocessExec(
        node,
        [
          '-e',
          'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(s.toUpperCase()+"\\n");process.exit(3)})',
        ],
        { stdin: 'pipe', stdout: 'pipe' },
      );
      const [out, err] = await proc.communicate('hi');
      expect(out?.toString()).toBe('HI\n');
      expect(err).toBeNull();
      expect(proc.returncode).toBe(3);
    }),
  );

  test(
    'shell: echo $((1+2)) gives 3 and wait() gives 0',
    inLoop(async () => {
      const proc = await createSubprocessShell('echo $((1+2))', { stdout: 'pipe' });
      expect((await proc.stdout?.read())?.toString()).toBe('3\n');
      expect(await proc.wait()).toBe(0);
      expect(proc.returncode).toBe(0);
    }),
  );

  test(
    'stderr into stdout, for exec and shell',
    inLoop(async () => {
      const p1 = await createSubprocessExec(
        node,
        ['-e', 'console.log("out"); console.error("err")'],
        {
          stdout: 'pipe',
          stderr: 'stdout',
        },
      );
      const [o1, e1] = await p1.communicate();
      expect(o1?.toString().split('\n').sort().join(',')).toBe(',err,out');
      expect(e1).toBeNull();
      const p2 = await createSubprocessShell('echo a; echo b >&2', {
        stdout: 'pipe',
        stderr: 'stdout',
      });
      const [o2] = await p2.communicate();
      expect(o2?.toString()).toBe('a\nb\n');
      // Argument boundaries survive the shell used for the redirection.
      const p3 = await createSubprocessExec('printf', ['%s|', 'two words', '$HOME'], {
        stdout: 'pipe',
        stderr: 'stdout',
      });
      expect((await p3.communicate())[0]?.toString()).toBe('two words|$HOME|');
    }),
  );

  test(
    'lines stream from stdout while the child runs',
    inLoop(async () => {
      const proc = await createSubprocessExec(
        node,
        ['-e', 'for (let i = 0; i < 5; i++) console.log("line " + i)'],
        {
          stdout: 'pipe',
        },
      );
      const lines: string[] = [];
      for await (const line of proc.stdout as NonNullable<Process['stdout']>)
        lines.push(line.toString().trim());
      expect(lines).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
      expect(await proc.wait()).toBe(0);
    }),
  );

  test(
    'stdin as a StreamWriter with drain and writeEof',
    inLoop(async () => {
      const proc = await createSubprocessExec('wc', ['-c'], { stdin: 'pipe', stdout: 'pipe' });
      const stdin = proc.stdin as NonNullable<Process['stdin']>;
      for (let i = 0; i < 64; i++) {
        stdin.write(Buffer.alloc(16 * 1024));
        await stdin.drain();
      }
      expect(stdin.canWriteEof()).toBe(true);
      stdin.writeEof();
      expect((await proc.stdout?.read())?.toString().trim()).toBe(String(64 * 16 * 1024));
      expect(stdin.getExtraInfo('pid')).toBe(proc.pid);
      expect(await proc.wait()).toBe(0);
    }),
  );

  test(
    'a large output through communicate (more than the pipe buffer)',
    inLoop(async () => {
      const proc = await createSubprocessExec(
        node,
        ['-e', 'process.stdout.write("x".repeat(3e6))'],
        {
          stdout: 'pipe',
        },
      );
      const [out] = await proc.communicate();
      expect(out?.length).toBe(3e6);
    }),
  );

  test(
    'a child that exits without reading its input is not an error',
    inLoop(async () => {
      const proc = await createSubprocessExec('true', [], { stdin: 'pipe' });
      const [out, err] = await proc.communicate(Buffer.alloc(4 << 20));
      expect([out, err]).toEqual([null, null]);
      expect(proc.returncode).toBe(0);
    }),
  );
});

describe('signals', () => {
  test(
    'terminate, kill and sendSignal give minus the signal number',
    inLoop(async () => {
      const a = await createSubprocessExec('sleep', ['30']);
      expect(a.terminate()).toBe(true);
      expect(await a.wait()).toBe(-15);
      const b = await createSubprocessExec('sleep', ['30']);
      b.kill();
      expect(await b.wait()).toBe(-9);
      const c = await createSubprocessExec('sleep', ['30']);
      c.sendSignal(2);
      expect(await c.wait()).toBe(-2);
      expect(c.sendSignal('SIGTERM')).toBe(false); // already gone: nothing sent
      expect(() => c.sendSignal('SIGNOPE' as never)).toThrow(RangeError);
      expect(() => c.sendSignal({} as never)).toThrow(TypeError);
    }),
  );
});

describe('cancellation', () => {
  test(
    'cancelling wait() leaves the child running; it can be waited again',
    inLoop(async () => {
      const proc = await createSubprocessExec('sleep', ['30']);
      const e = await waitFor(proc.wait(), 20).catch((x: unknown) => x);
      expect(TimeoutError.is(e)).toBe(true);
      expect(proc.returncode).toBeNull();
      expect(alive(proc.pid)).toBe(true);
      proc.terminate();
      expect(await proc.wait()).toBe(-15);
    }),
  );

  test(
    'cancelling communicate() kills the child and reaps it: no zombie, pipes closed',
    inLoop(async () => {
      const proc = await createSubprocessExec('sleep', ['30'], {
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const t = createTask(() => proc.communicate('input'));
      await tick();
      t.cancel();
      await expect(t).rejects.toThrow(CancelledError);
      expect(proc.returncode).toBe(-9);
      expect(state(proc.pid)).toBeUndefined(); // reaped: not even a zombie entry
      expect(proc.stdin?.isClosing()).toBe(true);
      await expect(proc.stdout?.read()).resolves.toBeInstanceOf(Buffer);
    }),
  );

  test(
    'aborting communicate() with a signal also kills the child',
    inLoop(async () => {
      const proc = await createSubprocessExec('sleep', ['30'], { stdout: 'pipe' });
      const ac = new AbortController();
      const p = proc.communicate(null, { signal: ac.signal });
      await tick();
      ac.abort(new Error('stop'));
      await expect(p).rejects.toThrow('stop');
      expect(proc.returncode).toBe(-9);
    }),
  );

  test('a child still running when run() ends is killed and reported', async () => {
    let pid = 0;
    const reports: string[] = [];
    await run(async () => {
      const seen = captureExceptions();
      const proc = await createSubprocessExec('sleep', ['30']);
      pid = proc.pid;
      return seen;
    }).then((seen) => {
      for (const s of seen) reports.push(s.message);
    });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^subprocess \d+ \(sleep\) was still running .* it was killed$/);
    expect(state(pid)).toBeUndefined();
  });

  test(
    'await using kills and reaps',
    inLoop(async () => {
      let proc: Process;
      {
        await using p = await createSubprocessExec('sleep', ['30'], { stdout: 'pipe' });
        proc = p;
      }
      expect(proc.returncode).toBe(-9);
      expect(state(proc.pid)).toBeUndefined();
    }),
  );
});

describe('bad input', () => {
  test(
    'a missing program is a SubprocessError with the spawn error as cause',
    inLoop(async () => {
      const e = await createSubprocessExec('/no/such/program', []).catch((x: unknown) => x);
      expect(SubprocessError.is(e)).toBe(true);
      expect((e as Error).message).toMatch(/not found/);
      expect(((e as Error).cause as { code: string }).code).toBe('ENOENT');
    }),
  );

  test(
    'bad arguments are TypeError/RangeError',
    inLoop(async () => {
      await expect(createSubprocessExec('', [])).rejects.toThrow(RangeError);
      await expect(createSubprocessExec('ls', 'x' as never)).rejects.toThrow(TypeError);
      await expect(createSubprocessExec('ls', [], { stdout: 'file' as never })).rejects.toThrow(
        "createSubprocessExec() expected `stdout` to be 'pipe', 'inherit' or 'ignore', got string \"file\"",
      );
      await expect(createSubprocessShell(5 as never)).rejects.toThrow(TypeError);
      const proc = await createSubprocessExec('true', []);
      await expect(proc.communicate('input')).rejects.toThrow(/stdin is not a pipe/);
      await proc.wait();
    }),
  );
});
