/**
 * Finds a package's public surface (what its `package.json` `exports` entry points export,
 * read from the TypeScript sources behind the `@aiots/source` condition) and checks that each
 * export carries TSDoc with a summary and a runnable `@example`. It also collects every code
 * example of the package: the `@example` blocks in `src/` and the `ts` blocks of README.md.
 * Only the parser and binder run (no lib, no type checking), so this takes a few hundred ms.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { type DocComment, parseDocComment, parseFences } from './doc-comment.ts';

/** An export whose documentation falls short of the standard. */
export interface DocProblem {
  /** `src/<file>.ts:<line>`, 1-based, relative to the package directory. */
  readonly where: string;
  /** The export, or `Class.member`. */
  readonly name: string;
  /** What is missing. */
  readonly message: string;
}

/** A code block to run: an `@example` fence in `src/`, or a `ts` fence of README.md. */
export interface DocExample {
  /** The documented export (`sleep`, `Future.result`), or `README.md` for the README. */
  readonly name: string;
  /** `<file>:<line>` of the first code line, relative to the package directory. */
  readonly where: string;
  /** Absolute path of the file the example is in. */
  readonly file: string;
  /** 1-based line of the first code line in `file`. */
  readonly line: number;
  /** The example's source. */
  readonly code: string;
  /** True for a fence marked `no-run`: listed, but not run. */
  readonly skip: boolean;
  /** True for an example in `src/` TSDoc, which must import from the package by name. */
  readonly fromTsDoc: boolean;
}

/** What `checkDocExamples` found. */
export interface DocReport {
  /** The `name` of the package.json. */
  readonly packageName: string;
  /** Absolute path of the package directory. */
  readonly packageDir: string;
  /** The package's public exports, as `subpath: name` (`.: sleep`, `./testing: runVirtual`). */
  readonly exports: readonly string[];
  /** Exports lacking a summary or an example; empty when the docs meet the standard. */
  readonly problems: readonly DocProblem[];
  /** Every example, in file order: `src/` files sorted by name, then README.md. */
  readonly examples: readonly DocExample[];
}

/** Options of `checkDocExamples`. */
export interface CheckDocOptions {
  /**
   * Which public class members need TSDoc: `'summary'` (the default) wants a summary on
   * every public method, accessor and property; `'none'` checks only the exports.
   */
  readonly members?: 'summary' | 'none';
  /** The Markdown file whose `ts` blocks run; `false` for none. Default: `README.md`, if present. */
  readonly readme?: string | false;
}

/** Fence languages that run. */
const runnable = new Set(['ts', 'typescript', 'mts']);

/**
 * Checks the TSDoc of a package's public exports and collects its runnable examples.
 * A public export is anything exported from an entry point of the package.json `exports`
 * map (its `@aiots/source` target). Functions, classes and constants need a summary and an
 * `@example` with a fenced ` ```ts ` block; interfaces, type aliases and exports tagged
 * `@internal` need the summary only. Public members of exported classes need a summary
 * (their own, or one inherited from the class or interface they override or implement),
 * except `_`-prefixed, `@internal`, `override` and symbol-keyed members and the protocol
 * methods `toString`, `toJSON`, `valueOf`, `then`, `catch` and `finally`.
 *
 * @param packageDir The package directory, as a path or a `file:` URL.
 * @param options Which members to check and which README to read.
 * @returns The exports, the problems (empty when all is well) and the examples.
 * @throws {Error} when the directory has no package.json or an entry point is missing.
 * @example
 * ```ts
 * import { checkDocExamples } from '@aiots/test-utils';
 * const report = checkDocExamples(process.cwd());
 * console.log(report.packageName, report.problems.length); // @aiots/test-utils 0
 * ```
 */
export function checkDocExamples(
  packageDir: string | URL,
  options: CheckDocOptions = {},
): DocReport {
  const dir = resolve(
    typeof packageDir === 'string' && !packageDir.startsWith('file:')
      ? packageDir
      : fileURLToPath(packageDir),
  );
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name?: string;
    exports?: unknown;
  };
  const packageName = pkg.name ?? relative(process.cwd(), dir);
  const srcDir = join(dir, 'src');
  const files = existsSync(srcDir) ? listTs(srcDir) : [];
  const program = ts.createProgram({
    rootNames: files,
    options: {
      noLib: true,
      noResolve: true,
      types: [],
      noEmit: true,
      allowImportingTsExtensions: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2024,
    },
  });
  const checker = program.getTypeChecker();
  const where = (node: ts.Node, pos = node.getStart()): string => {
    const sf = node.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(pos);
    return `${relative(dir, sf.fileName).split(sep).join('/')}:${line + 1}`;
  };

  const problems: DocProblem[] = [];
  const exportNames: string[] = [];
  const seen = new Set<ts.Symbol>();
  for (const [subpath, entry] of entryPoints(pkg.exports)) {
    const file = join(dir, entry);
    const sf = program.getSourceFile(file);
    if (!sf) throw new Error(`${packageName}: entry point ${subpath} -> ${entry} is not in src/`);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    const exported = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
    for (const symbol of exported) {
      exportNames.push(`${subpath}: ${symbol.name}`);
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      // A name passed on from another package is documented, and checked, there.
      if ((target.declarations ?? []).length === 0 && fromAnotherPackage(symbol, checker)) continue;
      if (seen.has(target)) continue;
      seen.add(target);
      problems.push(...checkExport(target, symbol.name, checker, where, options));
    }
  }

  const examples: DocExample[] = [];
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (sf) examples.push(...examplesOf(sf, dir));
  }
  const readme = options.readme === undefined ? 'README.md' : options.readme;
  if (readme !== false && existsSync(join(dir, readme))) {
    const readmeFile = join(dir, readme);
    for (const fence of parseFences(readFileSync(readmeFile, 'utf8'))) {
      if (!runnable.has(fence.lang)) continue;
      examples.push({
        name: readme,
        where: `${readme}:${fence.line + 1}`,
        file: readmeFile,
        line: fence.line + 1,
        code: fence.code,
        skip: fence.flags.includes('no-run'),
        fromTsDoc: false,
      });
    }
  }
  return { packageName, packageDir: dir, exports: exportNames, problems, examples };
}

/** The module a declaration imports from or re-exports from, when it names one. */
function moduleSpecifierOf(decl: ts.Declaration): string | undefined {
  let node: ts.Node | undefined = decl;
  while (node !== undefined && !ts.isExportDeclaration(node) && !ts.isImportDeclaration(node)) {
    node = node.parent;
  }
  const specifier = node?.moduleSpecifier;
  return specifier !== undefined && ts.isStringLiteral(specifier) ? specifier.text : undefined;
}

/**
 * True when an exported alias leads to a bare module specifier (`@aiots/loop/lowlevel`):
 * `export { X } from 'pkg'`, or `import { X } from 'pkg'` then `export { X }`.
 */
function fromAnotherPackage(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  for (let alias: ts.Symbol | undefined = symbol, hops = 0; alias && hops < 10; hops++) {
    const decl: ts.Declaration | undefined = alias.declarations?.[0];
    if (decl === undefined) return false;
    const specifier = moduleSpecifierOf(decl);
    if (specifier !== undefined) return !specifier.startsWith('.');
    alias = ts.isExportSpecifier(decl)
      ? checker.getExportSpecifierLocalTargetSymbol(decl)
      : undefined;
  }
  return false;
}

/** The `.ts` files under `dir`, sorted, without declaration files. */
function listTs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => join(dir, name))
    .sort();
}

/** `[subpath, file]` for each entry of a package.json `exports` map that points at a `.ts`. */
function entryPoints(exportsField: unknown): [string, string][] {
  const pick = (target: unknown): string | undefined => {
    if (typeof target === 'string') return target.endsWith('.ts') ? target : undefined;
    if (typeof target !== 'object' || target === null) return undefined;
    const conditions = target as Record<string, unknown>;
    for (const key of ['@aiots/source', 'import', 'default']) {
      const found = pick(conditions[key]);
      if (found) return found;
    }
    return undefined;
  };
  if (typeof exportsField === 'string' || exportsField === null) {
    const file = pick(exportsField);
    return file ? [['.', file]] : [];
  }
  if (typeof exportsField !== 'object' || exportsField === undefined) return [];
  const map = exportsField as Record<string, unknown>;
  if (!Object.keys(map).some((key) => key.startsWith('.'))) {
    const file = pick(map);
    return file ? [['.', file]] : [];
  }
  return Object.entries(map).flatMap(([subpath, target]): [string, string][] => {
    const file = pick(target);
    return file ? [[subpath, file]] : [];
  });
}

interface OwnDoc {
  readonly doc: DocComment;
  readonly node: ts.JSDoc;
}

/** The doc comment closest to a declaration (a variable's is on its statement). */
function ownDoc(decl: ts.Node): OwnDoc | undefined {
  const docs = ts.getJSDocCommentsAndTags(decl).filter(ts.isJSDoc);
  const node = docs.at(-1);
  if (!node) return undefined;
  const sf = decl.getSourceFile();
  const firstLine = sf.getLineAndCharacterOfPosition(node.pos).line;
  return { doc: parseDocComment(sf.text.slice(node.pos, node.end), firstLine), node };
}

const hasTag = (doc: DocComment, name: string): boolean => doc.tags.some((t) => t.name === name);

/** The summary, or for an `@internal` item the text of its `@internal` tag. */
function summaryOf(doc: DocComment): string {
  return doc.summary || (doc.tags.find((t) => t.name === 'internal')?.text ?? '');
}

function hasRunnableExample(doc: DocComment): boolean {
  return doc.tags.some((t) => t.name === 'example' && t.fences.some((f) => runnable.has(f.lang)));
}

const isValueDeclaration = (decl: ts.Declaration): boolean =>
  ts.isFunctionDeclaration(decl) ||
  ts.isClassDeclaration(decl) ||
  ts.isVariableDeclaration(decl) ||
  ts.isEnumDeclaration(decl) ||
  ts.isModuleDeclaration(decl);

function checkExport(
  symbol: ts.Symbol,
  name: string,
  checker: ts.TypeChecker,
  where: (node: ts.Node) => string,
  options: CheckDocOptions,
): DocProblem[] {
  const decls = symbol.declarations ?? [];
  const first = decls[0];
  if (!first) return [{ where: '?', name, message: 'cannot find its declaration' }];
  const valueDecls = decls.filter(isValueDeclaration);
  const candidates = valueDecls.length > 0 ? valueDecls : decls;
  const documented = candidates.map((decl) => ({ decl, own: ownDoc(decl) })).find((d) => d.own);
  const at = where(documented?.decl ?? candidates[0] ?? first);
  if (!documented?.own) return [{ where: at, name, message: 'has no TSDoc comment' }];
  const { doc } = documented.own;
  const problems: DocProblem[] = [];
  if (!summaryOf(doc)) problems.push({ where: at, name, message: 'has no summary sentence' });
  const internal = hasTag(doc, 'internal');
  if (valueDecls.length > 0 && !internal && !hasRunnableExample(doc)) {
    problems.push({ where: at, name, message: 'has no @example with a ```ts block' });
  }
  if (options.members !== 'none' && !internal) {
    for (const decl of decls) {
      if (ts.isClassDeclaration(decl)) problems.push(...checkMembers(decl, name, checker, where));
    }
  }
  return problems;
}

/** Methods whose meaning the platform fixes (`Object`, `Promise`); a summary adds nothing. */
const protocolMethods = new Set(['toString', 'toJSON', 'valueOf', 'then', 'catch', 'finally']);

function checkMembers(
  cls: ts.ClassDeclaration,
  className: string,
  checker: ts.TypeChecker,
  where: (node: ts.Node) => string,
): DocProblem[] {
  const problems: DocProblem[] = [];
  const reported = new Set<string>();
  for (const member of cls.members) {
    if (ts.isConstructorDeclaration(member) || ts.isClassStaticBlockDeclaration(member)) continue;
    if (ts.isIndexSignatureDeclaration(member) || ts.isSemicolonClassElement(member)) continue;
    const memberName = member.name;
    if (
      !memberName ||
      ts.isPrivateIdentifier(memberName) ||
      ts.isComputedPropertyName(memberName)
    ) {
      continue;
    }
    const text = memberName.getText();
    if (text.startsWith('_') || protocolMethods.has(text) || reported.has(text)) continue;
    const modifiers = ts.getCombinedModifierFlags(member);
    if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
    if (modifiers & ts.ModifierFlags.Override) continue;
    const own = ownDoc(member);
    if (own && hasTag(own.doc, 'internal')) continue;
    if (own && summaryOf(own.doc)) continue;
    // Overloads and get/set pairs share one symbol: any documented declaration counts, and so
    // does documentation inherited from an implemented interface.
    const symbol = checker.getSymbolAtLocation(memberName);
    const documentedSibling = (symbol?.declarations ?? []).some((decl) => {
      const doc = decl === member ? undefined : ownDoc(decl);
      return doc !== undefined && summaryOf(doc.doc) !== '';
    });
    if (documentedSibling) continue;
    if (symbol && ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim()) continue;
    // Implementing an `@internal` interface member keeps the member internal.
    if (symbol?.getJsDocTags(checker).some((tag) => tag.name === 'internal')) continue;
    reported.add(text);
    const isStatic = modifiers & ts.ModifierFlags.Static;
    problems.push({
      where: where(member),
      name: `${className}${isStatic ? '.' : '.prototype.'}${text}`,
      message: 'has no summary sentence',
    });
  }
  return problems;
}

/** The name of a declaration, as `Class.member` for class and interface members. */
function nameOf(node: ts.Node): string {
  const parts: string[] = [];
  for (let at: ts.Node | undefined = node; at && !ts.isSourceFile(at); at = at.parent) {
    const declName = ts.isVariableStatement(at)
      ? at.declarationList.declarations[0]?.name
      : ts.getNameOfDeclaration(at as ts.Declaration);
    if (declName && !ts.isComputedPropertyName(declName)) parts.unshift(declName.getText());
  }
  return parts.join('.') || '(file)';
}

function examplesOf(sf: ts.SourceFile, dir: string): DocExample[] {
  const examples: DocExample[] = [];
  const done = new Set<number>();
  const file = relative(dir, sf.fileName).split(sep).join('/');
  const visit = (node: ts.Node): void => {
    for (const jsDoc of ts.getJSDocCommentsAndTags(node)) {
      if (!ts.isJSDoc(jsDoc) || done.has(jsDoc.pos)) continue;
      done.add(jsDoc.pos);
      const firstLine = sf.getLineAndCharacterOfPosition(jsDoc.pos).line;
      const doc = parseDocComment(sf.text.slice(jsDoc.pos, jsDoc.end), firstLine);
      for (const tag of doc.tags) {
        if (tag.name !== 'example') continue;
        for (const fence of tag.fences) {
          if (!runnable.has(fence.lang)) continue;
          examples.push({
            name: nameOf(jsDoc.parent),
            where: `${file}:${fence.line + 1}`,
            file: sf.fileName,
            line: fence.line + 1,
            code: fence.code,
            skip: fence.flags.includes('no-run'),
            fromTsDoc: true,
          });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return examples;
}
