/**
 * Runs one documentation example the way a reader would: as its own ESM program, in a fresh
 * Node process, reading the workspace packages from their TypeScript sources. Then checks
 * what it printed against the values its `console.log(…) // value` comments promise.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * Node's compile cache, shared by every example process: it keeps the type-stripped and
 * compiled workspace sources, which cuts an example's start-up from about 1 s to 0.2 s on a
 * busy machine. Entries are keyed by content, so a stale one is never used.
 */
const compileCache = join(tmpdir(), 'aiots-doc-examples-compile-cache');

/** A value an example promises to print: `console.log(x); // 42`. */
export interface ExpectedOutput {
  /** 1-based line of the `console.log` in the example. */
  readonly line: number;
  /** The comment as written, without `//`. */
  readonly comment: string;
  /** The output line(s) it stands for, normalized by `normalizeOutput`. */
  readonly text: string;
}

/** What running an example did. */
export interface ExampleRun {
  /** The file the example was written to and run from. */
  readonly file: string;
  /** The exit code; `null` when the process was killed. */
  readonly exitCode: number | null;
  /** The signal that ended the process, if one did. */
  readonly signal: NodeJS.Signals | null;
  /** True when the process outlived its time limit and was killed. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  readonly durationMs: number;
}

/** Options of `runDocExample`. */
export interface RunExampleOptions {
  /** The directory to write the example into; must be inside the package so its name resolves. */
  readonly dir: string;
  /** The example's file name, `.ts` included. */
  readonly fileName: string;
  /** The working directory of the process. Default: `dir`. */
  readonly cwd?: string;
  /** Kill the process after this many milliseconds. Default: 10 000. */
  readonly timeoutMs?: number;
  /** Node options before the file. Default: `['--conditions=@aiots/source']`. */
  readonly nodeArgs?: readonly string[];
}

/**
 * Collapses runs of whitespace and drops the padding Node's `util.inspect` puts inside
 * brackets, so `[ 1, 2 ]` over one line or several compares equal to `[1, 2]`.
 *
 * @param text Output or an expected value.
 * @returns The normalized text.
 * @example
 * ```ts
 * import { normalizeOutput } from '@aiots/test-utils';
 * console.log(normalizeOutput('{ a: [ 1,\n    2 ] }')); // {a: [1, 2]}
 * ```
 */
export function normalizeOutput(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/([[{(]) /g, '$1')
    .replace(/ ([\]})])/g, '$1')
    .trim();
}

/**
 * Reads a comment as a sequence of literal values (`42`, `true`, `'done'`, `[1, 2]`,
 * `{ a: 1 }`, bare words such as `a b`), or returns undefined when it is prose: anything
 * with other punctuation, such as parentheses or commas outside brackets.
 */
function literalTokens(comment: string): string[] | undefined {
  const tokens: string[] = [];
  let rest = comment.trim().replace(/^(=>|→)\s*/, '');
  if (!rest) return undefined;
  while (rest) {
    const quoted = /^(['"`])((?:\\.|(?!\1).)*)\1(?=\s|$)/.exec(rest);
    const word = /^[\w$@.:/+-][\w$@.:/+%-]*(?=\s|$)/.exec(rest);
    let length: number;
    if (quoted) {
      tokens.push(unescapeQuoted(quoted[2] ?? ''));
      length = quoted[0].length;
    } else if (rest[0] === '[' || rest[0] === '{') {
      const end = closingBracket(rest);
      if (end < 0) return undefined;
      tokens.push(rest.slice(0, end + 1).replaceAll('"', "'"));
      length = end + 1;
    } else if (word) {
      const value = /^-?\d[\d_]*(\.\d+)?(e[+-]?\d+)?n?$/i.test(word[0])
        ? word[0].replaceAll('_', '')
        : word[0];
      tokens.push(value);
      length = word[0].length;
    } else {
      return undefined;
    }
    rest = rest.slice(length).trimStart();
  }
  return tokens;
}

function unescapeQuoted(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);
}

/** Index of the bracket that closes `text[0]`, skipping quoted strings; -1 if unbalanced. */
function closingBracket(text: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * Finds the values an example promises to print: a `console.log(…)` or `console.info(…)`
 * call whose line ends in a comment made only of literal values, such as `// 42`,
 * `// true`, `// 'done'`, `// [1, 2]` or `// a b`. A top-level quoted string stands for
 * its text, because that is what `console.log` prints. A comment with any other punctuation
 * (`// (elapsed time)`, `// about 10, give or take`) is prose and is not checked.
 *
 * @param code The example's source.
 * @returns The expected values in source order.
 * @example
 * ```ts
 * import { expectedOutput } from '@aiots/test-utils';
 * const code = "console.log(6 * 7); // 42\nconsole.log(Date.now()); // (the time)";
 * console.log(expectedOutput(code).map((e) => e.text)); // ['42']
 * ```
 */
export function expectedOutput(code: string): ExpectedOutput[] {
  const sf = ts.createSourceFile('example.ts', code, ts.ScriptTarget.Latest, true);
  const lineOf = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line;
  const comments = new Map<number, { pos: number; text: string }>();
  const seen = new Set<number>();
  const collect = (ranges: ts.CommentRange[] | undefined): void => {
    for (const range of ranges ?? []) {
      if (range.kind !== ts.SyntaxKind.SingleLineCommentTrivia || seen.has(range.pos)) continue;
      seen.add(range.pos);
      comments.set(lineOf(range.pos), {
        pos: range.pos,
        text: code.slice(range.pos + 2, range.end),
      });
    }
  };
  // The last console call that ends on a line owns the comment at the end of that line.
  const logs = new Map<number, ts.CallExpression>();
  const visit = (node: ts.Node): void => {
    collect(ts.getLeadingCommentRanges(code, node.pos));
    collect(ts.getTrailingCommentRanges(code, node.end));
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === 'console' &&
      ['log', 'info'].includes(node.expression.name.text)
    ) {
      logs.set(lineOf(node.end), node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const expected: ExpectedOutput[] = [];
  for (const [line, call] of logs) {
    const comment = comments.get(line);
    if (!comment || comment.pos < call.end) continue;
    const tokens = literalTokens(comment.text);
    if (!tokens) continue;
    expected.push({
      line: lineOf(call.getStart(sf)) + 1,
      comment: comment.text.trim(),
      text: normalizeOutput(tokens.join(' ')),
    });
  }
  return expected.sort((a, b) => a.line - b.line);
}

/**
 * Checks that `stdout` shows each expected value, in order, each starting at the beginning
 * of a line and ending at the end of one (a value may span lines, as big objects do).
 *
 * @param stdout What the example printed.
 * @param expected The values, from `expectedOutput`.
 * @returns The expected values that were not found, in order; empty when all were.
 * @example
 * ```ts
 * import { expectedOutput, missingOutput } from '@aiots/test-utils';
 * const expected = expectedOutput("console.log(1); // 1\nconsole.log([2, 3]); // [2, 3]");
 * console.log(missingOutput('1\nnoise\n[ 2, 3 ]\n', expected).length); // 0
 * console.log(missingOutput('[ 2, 3 ]\n1\n', expected).length); // 1
 * ```
 */
export function missingOutput(
  stdout: string,
  expected: readonly ExpectedOutput[],
): ExpectedOutput[] {
  const lines = stdout.split('\n');
  const missing: ExpectedOutput[] = [];
  let at = 0;
  for (const want of expected) {
    let found = -1;
    for (let i = at; i < lines.length && found < 0; i++) {
      let joined = '';
      for (let j = i; j < lines.length; j++) {
        joined = normalizeOutput(`${joined}\n${lines[j]}`);
        if (joined === want.text) {
          found = j;
          break;
        }
        if (joined.length >= want.text.length) break;
      }
    }
    if (found < 0) missing.push(want);
    else at = found + 1;
  }
  return missing;
}

/**
 * Writes an example to `dir/fileName` and runs it with the current Node binary and
 * `--conditions=@aiots/source`, so `@aiots/*` imports read the workspace sources. `dir`
 * must be inside the package (its `test/.doc-examples/`), so the package's own name and its
 * dependencies resolve as they do for its tests. Never rejects: a crash, a non-zero exit and
 * a timeout are all reported in the result.
 *
 * @param code The example's source, an ES module that may use top-level await.
 * @param options Where to write it and how long it may run.
 * @returns The exit status and output.
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { runDocExample } from '@aiots/test-utils';
 * const run = await runDocExample('console.log(6 * 7);', { dir: tmpdir(), fileName: 'answer.ts' });
 * console.log(run.exitCode, run.stdout.trim()); // 0 42
 * ```
 */
export function runDocExample(code: string, options: RunExampleOptions): Promise<ExampleRun> {
  mkdirSync(options.dir, { recursive: true });
  const file = join(options.dir, options.fileName);
  writeFileSync(file, code.endsWith('\n') ? code : `${code}\n`);
  const args = [...(options.nodeArgs ?? ['--conditions=@aiots/source']), file];
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      {
        cwd: options.cwd ?? options.dir,
        env: { NODE_COMPILE_CACHE: compileCache, ...process.env },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 << 20,
      },
      (error, stdout, stderr) => {
        const durationMs = performance.now() - started;
        const killed = error !== null && 'killed' in error && error.killed === true;
        resolve({
          file,
          exitCode: child.exitCode,
          signal: child.signalCode,
          timedOut: killed && durationMs >= timeoutMs,
          stdout,
          stderr,
          durationMs,
        });
      },
    );
  });
}
