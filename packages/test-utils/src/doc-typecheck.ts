import ts from 'typescript';
import type { DocExample } from './doc-check.ts';

/**
 * Typechecks example files against the compiler options of the package's `tsconfig.json`
 * (the nearest one up from `packageDir`), so an example that calls an export wrongly fails
 * even where JavaScript would run it. Only errors inside the examples are reported, each at
 * the line of the doc comment or README it came from.
 *
 * @param packageDir The package directory.
 * @param files Each example's file on disk, inside the package so its imports resolve.
 * @returns One line per error: `<file>:<line> (<export>): <message>`; empty when all check.
 * @example A full typecheck takes seconds, too slow for a docs example; the same code runs in
 * test/doc-typecheck.test.ts.
 * ```ts no-run
 * import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
 * import { type DocExample, typecheckDocExamples } from '@aiots/test-utils';
 * // The file sits inside the package, so the package's own name would resolve.
 * const dir = `${process.cwd()}/test/.doc-examples/typecheck-demo-${process.pid}`;
 * mkdirSync(dir, { recursive: true });
 * writeFileSync(`${dir}/bad.ts`, "const n: number = 'one';");
 * const example: DocExample = {
 *   name: 'demo', where: 'README.md:3', file: 'README.md', line: 3, code: '', skip: false, fromTsDoc: false,
 * };
 * const [error] = typecheckDocExamples(process.cwd(), new Map([[`${dir}/bad.ts`, example]]));
 * console.log(error?.endsWith("Type 'string' is not assignable to type 'number'.")); // true
 * rmSync(dir, { recursive: true });
 * ```
 */
export function typecheckDocExamples(
  packageDir: string,
  files: ReadonlyMap<string, DocExample>,
): string[] {
  const configPath = ts.findConfigFile(packageDir, ts.sys.fileExists, 'tsconfig.json');
  let options: ts.CompilerOptions = {};
  if (configPath) {
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    });
    options = parsed?.options ?? {};
  }
  const program = ts.createProgram({
    rootNames: [...files.keys()],
    options: { ...options, noEmit: true, incremental: false, composite: false, declaration: false },
  });
  const errors: string[] = [];
  for (const [file, example] of files) {
    const sf = program.getSourceFile(file);
    if (!sf) continue;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(sf),
      ...program.getSemanticDiagnostics(sf),
    ];
    for (const d of diagnostics) {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
      const where = `${example.where.replace(/:\d+$/, '')}:${example.line + line}`;
      const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      errors.push(`${where} (${example.name}): ${message}`);
    }
  }
  return errors;
}
