import {
  BrokenWorkerError,
  type ModuleJob,
  type ProcessPoolExecutor,
  type ThreadPoolExecutor,
} from '@aiots/executors';
import { expect } from 'vitest';
import { crashyModule } from './helpers.ts';

export const work: ModuleJob<[number, string], number> = { module: crashyModule, name: 'work' };

/** 10,000 jobs; one in a hundred crashes its worker, the modes taking turns. */
export function plan(modes: string[]): string[] {
  const out: string[] = [];
  let k = 0;
  for (let i = 0; i < 10_000; i++)
    out.push(i % 100 === 37 ? (modes[k++ % modes.length] as string) : 'ok');
  return out;
}

export async function runCrashes(pool: ThreadPoolExecutor | ProcessPoolExecutor, modes: string[]) {
  const tasks = plan(modes).map((mode, i) => pool.submit(work, i, mode));
  const outcomes = await Promise.allSettled(tasks);
  const seen = new Map<string, number>();
  outcomes.forEach((o, i) => {
    const mode = plan(modes)[i] as string;
    if (mode === 'ok') {
      expect(o).toEqual({ status: 'fulfilled', value: i * 2 });
      return;
    }
    expect(o.status).toBe('rejected');
    const err = (o as PromiseRejectedResult).reason as BrokenWorkerError;
    expect(BrokenWorkerError.is(err)).toBe(true);
    if (mode === 'exit') {
      expect(err.exitCode).toBe(7);
      expect(err.message).toContain('process.exit(7)');
    } else if (mode === 'timer') {
      expect((err.cause as Error).message).toBe(`timer boom ${i}`);
    } else if (mode === 'oom') {
      expect(err.message).toContain('out of memory');
    } else if (mode === 'kill') {
      expect(err.signal).toBe('SIGKILL');
    }
    seen.set(mode, (seen.get(mode) ?? 0) + 1);
  });
  return seen;
}

export function expectHealthy(
  pool: ThreadPoolExecutor | ProcessPoolExecutor,
  crashes: number,
): void {
  const s = pool.stats();
  expect(s.completed).toBe(10_000 - crashes);
  expect(s.failed).toBe(crashes);
  expect(s.queued).toBe(0);
  expect(s.running).toBe(0);
  expect(s.cancelled).toBe(0);
  expect(s.crashed).toBeGreaterThanOrEqual(crashes);
  expect(s.workers).toBeLessThanOrEqual(2);
}
