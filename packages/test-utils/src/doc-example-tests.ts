/**
 * The vitest side of the docs check: one test that the public exports are documented, one
 * that the examples typecheck, and one test per example that runs it in its own process.
 */
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckDocOptions, checkDocExamples, type DocExample } from './doc-check.ts';
import { type ExampleRun, expectedOutput, missingOutput, runDocExample } from './doc-run.ts';
import { typecheckDocExamples } from './doc-typecheck.ts';

/** Options of `docExampleTests`. */
export interface DocExampleTestOptions extends CheckDocOptions {
  /** Kill an example after this many milliseconds. Default: 10 000. */
  readonly timeoutMs?: number;
  /** Typecheck the examples against the package's tsconfig.json. Default: true. */
  readonly typecheck?: boolean;
  /**
   * Lines of stderr an example may print. Default: Node's `ExperimentalWarning` lines. Any
   * other stderr output fails the example, as does a non-zero exit.
   */
  readonly allowStderr?: readonly RegExp[];
  /**
   * Run the examples against the package as built (`dist/`, resolved without the
   * `@aiots/source` condition, as an installed package is), and skip the documentation and
   * typecheck tests, which the source run does. Default: false.
   */
  readonly built?: boolean;
}

const defaultAllowStderr = [/^\(node:\d+\) ExperimentalWarning: /, /^\(Use `node --trace-warnings/];

/**
 * Registers the docs tests of a package, for `test/docs.test.ts`:
 *
 * 1. every public export has a TSDoc summary and, unless it is a type or `@internal`, an
 *    `@example` with a ` ```ts ` block (see `checkDocExamples`);
 * 2. every example typechecks against the package's `tsconfig.json`;
 * 3. every `@example` block in `src/` and every ` ```ts ` block of README.md runs as its own
 *    ES module in a fresh Node process (`--conditions=@aiots/source`, 10 s limit) and exits
 *    with 0 without writing to stderr, printing each value its `console.log(…) // value`
 *    comments promise, in order. A TSDoc example must import from the package by name.
 *
 * With `built: true` only step 3 runs, against `dist/` (no `@aiots/source` condition), so
 * the shipped entries and chunks are exercised as an installed package would be.
 *
 * Examples are written to `test/.doc-examples/<run>/` inside the package, so imports resolve
 * exactly as in the package's tests, and removed afterwards. Mark a block that must not run
 * with ` ```ts no-run `; it gets no test.
 *
 * @param packageDir The package directory: `new URL('..', import.meta.url)` from `test/`.
 * @param options Time limit, typechecking, allowed stderr, members and README to check.
 * @example
 * ```ts no-run
 * // packages/<name>/test/docs.test.ts
 * import { docExampleTests } from '@aiots/test-utils';
 * docExampleTests(new URL('..', import.meta.url));
 * ```
 */
export function docExampleTests(
  packageDir: string | URL,
  options: DocExampleTestOptions = {},
): void {
  const report = checkDocExamples(packageDir, options);
  const { packageDir: dir, packageName, examples } = report;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const allowStderr = options.allowStderr ?? defaultAllowStderr;
  const runDir = join(dir, 'test', '.doc-examples', `${process.pid}-${Date.now().toString(36)}`);
  const fileNames = new Map<DocExample, string>();
  examples.forEach((example, i) => {
    const slug = example.name.replace(/[^\w.-]+/g, '_').slice(0, 60);
    fileNames.set(example, `${String(i + 1).padStart(3, '0')}-${slug}.ts`);
  });

  const built = options.built === true;
  describe(built ? `docs of ${packageName}, run against dist/` : `docs of ${packageName}`, () => {
    beforeAll(() => {
      mkdirSync(runDir, { recursive: true });
      for (const [example, fileName] of fileNames)
        writeFileSync(join(runDir, fileName), example.code);
    });
    afterAll(() => {
      rmSync(runDir, { recursive: true, force: true });
      // The parent goes too unless another run of the same package is still using it.
      try {
        rmdirSync(dirname(runDir));
      } catch {}
    });

    if (built) {
      it('is built', () => {
        expect(existsSync(join(dir, 'dist')), `${packageName}: build it first`).toBe(true);
      });
    }

    it.skipIf(built)('every public export has a TSDoc summary and a runnable @example', () => {
      expect(
        report.exports.length,
        `${packageName}: no entry point in package.json exports`,
      ).toBeGreaterThan(0);
      const problems = report.problems.map((p) => `${p.where} ${p.name} ${p.message}`);
      expect(problems, `${problems.length} undocumented exports of ${packageName}`).toEqual([]);
    });

    const runnable = examples.filter((example) => !example.skip);
    if (!built && options.typecheck !== false && runnable.length > 0) {
      it('the examples typecheck', () => {
        const files = new Map(runnable.map((e) => [join(runDir, fileNames.get(e) ?? ''), e]));
        const errors = typecheckDocExamples(dir, files);
        expect(errors, `${errors.length} type errors in examples`).toEqual([]);
      }, 120_000);
    }

    // Blocks marked `no-run` are fragments (API sketches), not programs: they get no test.
    for (const example of runnable) {
      const title = `${example.name} example (${example.where})`;
      it.concurrent(
        title,
        async () => {
          const run = await runDocExample(example.code, {
            dir: runDir,
            fileName: fileNames.get(example) ?? 'example.ts',
            cwd: dir,
            timeoutMs,
            ...(built ? { nodeArgs: [] } : {}),
          });
          const failures = [
            ...importProblems(example, packageName),
            ...runProblems(run, timeoutMs, allowStderr),
            ...missingOutput(run.stdout, expectedOutput(example.code)).map(
              (want) =>
                `example line ${want.line}: expected output \`${want.comment}\` not printed (in order)`,
            ),
          ];
          if (failures.length > 0) throw new Error(failureMessage(example, run, failures));
        },
        timeoutMs + 5_000,
      );
    }
  });
}

function importProblems(example: DocExample, packageName: string): string[] {
  const sf = ts.createSourceFile('example.ts', example.code, ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const problems = specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => `imports the relative path '${s}': import from '${packageName}' as a reader would`);
  const own = specifiers.some((s) => s === packageName || s.startsWith(`${packageName}/`));
  if (example.fromTsDoc && !own) problems.push(`does not import from '${packageName}'`);
  return problems;
}

function runProblems(run: ExampleRun, timeoutMs: number, allowStderr: readonly RegExp[]): string[] {
  const problems: string[] = [];
  if (run.timedOut) {
    problems.push(`did not exit within ${timeoutMs} ms: does it leave a timer or a task running?`);
  } else if (run.exitCode !== 0) {
    problems.push(`exited with ${run.exitCode ?? run.signal}`);
  }
  const stderr = run.stderr
    .split('\n')
    .filter((line) => line.trim() && !allowStderr.some((re) => re.test(line)));
  if (stderr.length > 0) problems.push('wrote to stderr');
  return problems;
}

function failureMessage(example: DocExample, run: ExampleRun, failures: string[]): string {
  const code = example.code
    .split('\n')
    .map((line, i) => `${String(i + 1).padStart(3)} | ${line}`)
    .join('\n');
  return [
    `${example.name} example at ${example.where} (example line 1 is line ${example.line}):`,
    ...failures.map((f) => `  - ${f}`),
    '--- example ---',
    code,
    `--- stdout (${Math.round(run.durationMs)} ms) ---`,
    run.stdout.trimEnd(),
    '--- stderr ---',
    run.stderr.trimEnd().replaceAll(run.file, `<${example.where} example>`),
  ].join('\n');
}
