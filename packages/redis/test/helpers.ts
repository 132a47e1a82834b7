/**
 * Shared test helpers: child processes driven over IPC, with their messages in a queue.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from '@aiots/sync';

/** What a child reported, or how it ended. */
export type Message = Record<string, unknown>;

/** A fixture process from test/fixtures, with its messages (and its exit) in `messages`. */
export class Child {
  readonly process: ChildProcess;
  readonly messages = new Queue<Message>();
  readonly exited: Promise<{ code: number | null; signal: string | null }>;

  constructor(fixture: string, args: string[]) {
    const script = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
    this.process = fork(script, args, {
      execArgv: ['--conditions=@aiots/source'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process.on('message', (msg) => this.messages.putNowait(msg as Message));
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.messages.putNowait({ exit: code, signal });
        resolve({ code, signal });
      });
    });
  }

  /** The next message with `key`, skipping others into `seen` (a child that exits first: throws). */
  async next(key: string, seen?: (m: Message) => void): Promise<Message> {
    for (;;) {
      const m = await this.messages.get();
      if (key in m) return m;
      if ('exit' in m)
        throw new Error(`child exited (${m.exit ?? m.signal}) before sending ${key}`);
      seen?.(m);
    }
  }

  /** SIGKILL, checked to be a real child pid. */
  kill(): void {
    const pid = this.process.pid;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) {
      throw new Error(`no child pid to kill: ${pid}`);
    }
    this.process.kill('SIGKILL');
  }
}
