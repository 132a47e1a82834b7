/**
 * Pseudo-terminal pairs for serial tests: `socat` joins two ptys (a pty is a real tty to
 * serialport) and links them at stable paths, so a test can kill the pair (the device
 * vanishes) and start it again at the same paths (the device comes back).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A pty pair held by a `socat` process. */
export interface PtyPair {
  /** One end's stable path (a symlink to `/dev/pts/N`). */
  readonly a: string;
  /** The other end's stable path. */
  readonly b: string;
  /**
   * Removes the links and kills `socat` (SIGKILL): both ends vanish, as an unplugged device
   * does, and the paths stay absent until `restart`.
   */
  kill(): Promise<void>;
  /**
   * Starts a new pair at the same paths (after `kill`). With `holdA`, only `b` is linked
   * until `releaseA()`: opening a port flushes what is queued for it (serialport does), so
   * a test that wants the device side open before the other end can write holds `a` back.
   */
  restart(options?: { readonly holdA?: boolean }): Promise<void>;
  /** Links `a` after a `restart({ holdA: true })`. */
  releaseA(): void;
  /** Kills `socat` and removes the directory of the links. */
  close(): Promise<void>;
}

/**
 * True when `socat` is on the PATH.
 *
 * @returns Whether pty pairs can be made.
 * @example
 * ```ts no-run
 * test.skipIf(!hasSocat())('needs socat', async () => {});
 * ```
 */
export function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `socat` with two raw ptys linked at `<tmp>/a` and `<tmp>/b` and resolves once both
 * exist (socat prints each pty it made; the links follow).
 *
 * @returns The pair.
 * @throws when `socat` is missing or fails to start.
 * @example
 * ```ts no-run
 * const pty = await ptyPair();
 * const [r1, w1] = await openSerialConnection({ path: pty.a, baudRate: 9600 });
 * ```
 */
export async function ptyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'aiots-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  let proc: ChildProcess | undefined;
  let heldA: string | undefined;

  const start = async (holdA = false): Promise<void> => {
    rmSync(a, { force: true });
    rmSync(b, { force: true });
    heldA = undefined;
    const first = holdA ? 'pty,raw,echo=0' : `pty,raw,echo=0,link=${a}`;
    const p = spawn('socat', ['-d', '-d', first, `pty,raw,echo=0,link=${b}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc = p;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const onData = (d: Buffer) => {
        log += d.toString();
        // "starting data transfer loop" comes after both ptys and links exist.
        if (/starting data transfer loop/.test(log)) {
          p.stderr?.off('data', onData);
          p.stderr?.resume();
          // socat names each pty it made ("PTY is /dev/pts/N"), the first address's first.
          if (holdA) heldA = /PTY is (\S+)/.exec(log)?.[1];
          if ((holdA ? heldA !== undefined : existsSync(a)) && existsSync(b)) resolve();
          else reject(new Error(`socat started but the links are missing:\n${log}`));
        }
      };
      p.stderr?.on('data', onData);
      p.once('error', reject);
      p.once('exit', (code) => reject(new Error(`socat exited with ${code}:\n${log}`)));
    });
  };

  const kill = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    // The links go first: SIGKILL leaves them behind, pointing at /dev/pts/N numbers that
    // the kernel hands to the next pty made (another test's, in a parallel worker), and a
    // reconnect loop retrying the stale path would open that pty and steal its bytes.
    rmSync(a, { force: true });
    rmSync(b, { force: true });
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGKILL');
    await gone;
  };

  await start();
  return {
    a,
    b,
    kill,
    restart: (options) => start(options?.holdA === true),
    releaseA() {
      if (heldA === undefined) throw new Error('releaseA() needs a restart({ holdA: true }) first');
      symlinkSync(heldA, a);
      heldA = undefined;
    },
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
