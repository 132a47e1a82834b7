import { allLoops, type Loop } from './loop.ts';
import type { Task } from './task.ts';

/**
 * Renders the live tasks as a tree (parent → children) with each task's name, age, cancel
 * state and what it is waiting on. `runMain` prints it on a second Ctrl-C, so a hung
 * program explains itself.
 *
 * @param loop only this loop's tasks (default: every live loop).
 * @example
 * ```ts
 * import { createTask, formatTaskTree, sleep } from '@aiots/loop';
 * const t = createTask(() => sleep(50), { name: 'sleeper' });
 * await sleep(1);
 * console.log(formatTaskTree()); // ... sleeper (1ms) waiting on sleep(50ms)
 * t.cancel();
 * ```
 */
export function formatTaskTree(loop?: Loop): string {
  const loops = loop !== undefined ? [loop] : allLoops();
  const lines: string[] = [];
  for (const l of loops) {
    const tasks = l._liveTasks();
    if (tasks.length === 0) continue;
    const live = new Set(tasks);
    const children = new Map<Task<unknown> | undefined, Task<unknown>[]>();
    for (const t of tasks) {
      const parent = t.getParent();
      const p = parent !== undefined && live.has(parent) ? parent : undefined;
      const list = children.get(p);
      if (list === undefined) children.set(p, [t]);
      else list.push(t);
    }
    const now = l.time();
    lines.push(`Loop (${tasks.length} task${tasks.length === 1 ? '' : 's'})`);
    const walk = (parent: Task<unknown> | undefined, depth: number): void => {
      for (const t of children.get(parent) ?? []) {
        const waits = t.waitingOn();
        const parts = [
          `${'  '.repeat(depth + 1)}${t.getName()} (${Math.round(now - t._createdMs)}ms)`,
        ];
        if (t.cancelling() > 0) parts.push(`cancelling=${t.cancelling()}`);
        parts.push(
          waits.length > 0
            ? `waiting on ${waits.join(', ')}`
            : 'running or awaiting a foreign promise',
        );
        lines.push(parts.join(' '));
        if (t._createdAt)
          lines.push(
            `${'  '.repeat(depth + 2)}created ${t._createdAt.trim().split('\n')[0]?.trim()}`,
          );
        walk(t, depth + 1);
      }
    };
    walk(undefined, 0);
  }
  return lines.length > 0 ? lines.join('\n') : 'No running tasks.';
}
