import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const examplesDir = fileURLToPath(new URL('..', import.meta.url));
const examples = readdirSync(examplesDir).filter(
  (name) => name.endsWith('.ts') && !name.endsWith('.config.ts'),
);

/** Lines of `<example>.expected.txt`; each must begin a line of the output, in this order. */
function expectedLines(example: string): string[] {
  const file = new URL(`../${example.replace(/\.ts$/, '.expected.txt')}`, import.meta.url);
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

describe('examples', () => {
  it('finds the examples', () => {
    expect(examples).toContain('loop-showcase.ts');
  });

  // Each example runs as a user would run it: in its own Node process, from the sources.
  // With --virtual-time, examples that sleep on the loop do so on a VirtualClock (lib/clock.ts).
  it.each(examples)(
    '%s runs to completion with the expected output',
    async (example) => {
      const { stdout, stderr } = await run(
        process.execPath,
        ['--conditions=@aiots/source', example, '--virtual-time'],
        { cwd: examplesDir, timeout: 30_000 },
      );
      // A clean run prints nothing on stderr: no warnings, no "never retrieved" reports.
      expect(stderr).toBe('');
      const lines = stdout.split('\n');
      let at = 0;
      for (const want of expectedLines(example)) {
        const found = lines.findIndex((line, index) => index >= at && line.startsWith(want));
        const why = `missing, in order: ${want}\n--- output ---\n${stdout}`;
        expect(found, why).toBeGreaterThanOrEqual(0);
        at = found + 1;
      }
    },
    35_000,
  );
});
