/**
 * Finds the free identifiers of a job function's source: names it uses but neither declares
 * nor gets from the worker's globals. A function is sent to a worker as text, so each such
 * name would be a ReferenceError there. acorn parses; the scope walk below resolves every
 * reference after the whole tree is seen, so hoisting needs no special case.
 */
import { createRequire } from 'node:module';

interface Node {
  type: string;
  [key: string]: unknown;
}

interface Scope {
  parent: Scope | undefined;
  names: Set<string>;
  fn: boolean;
}

type Parse = (src: string, opts: { ecmaVersion: 'latest'; sourceType: 'script' }) => Node;
let parse: Parse | undefined;

function parser(): Parse {
  parse ??= (createRequire(import.meta.url)('acorn') as { parse: Parse }).parse;
  return parse;
}

const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'raw', 'value', 'regex']);

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as Node).type === 'string';
}

class Walker {
  readonly refs: Array<[string, Scope]> = [];

  scope(parent: Scope, fn: boolean): Scope {
    return { parent, names: new Set(), fn };
  }

  declare(p: Node | null, target: Scope, refScope: Scope): void {
    if (p === null) return;
    switch (p.type) {
      case 'Identifier':
        target.names.add(p.name as string);
        return;
      case 'ObjectPattern':
        for (const prop of p.properties as Node[]) {
          if (prop.type === 'RestElement') this.declare(prop.argument as Node, target, refScope);
          else {
            if (prop.computed) this.visit(prop.key as Node, refScope);
            this.declare(prop.value as Node, target, refScope);
          }
        }
        return;
      case 'ArrayPattern':
        for (const el of p.elements as (Node | null)[]) this.declare(el, target, refScope);
        return;
      case 'RestElement':
        this.declare(p.argument as Node, target, refScope);
        return;
      case 'AssignmentPattern':
        this.declare(p.left as Node, target, refScope);
        this.visit(p.right as Node, refScope);
        return;
      default:
        this.visit(p, refScope);
    }
  }

  fnScope(s: Scope): Scope {
    let cur = s;
    while (!cur.fn && cur.parent !== undefined) cur = cur.parent;
    return cur;
  }

  func(node: Node, outer: Scope): void {
    const s = this.scope(outer, true);
    if (node.type === 'FunctionExpression' && isNode(node.id)) s.names.add(node.id.name as string);
    if (node.type !== 'ArrowFunctionExpression') s.names.add('arguments');
    for (const p of node.params as Node[]) this.declare(p, s, s);
    const body = node.body as Node;
    if (body.type === 'BlockStatement') for (const st of body.body as Node[]) this.visit(st, s);
    else this.visit(body, s);
  }

  visit(node: Node | null | undefined, scope: Scope): void {
    if (node === null || node === undefined) return;
    switch (node.type) {
      case 'Identifier':
        this.refs.push([node.name as string, scope]);
        return;
      case 'VariableDeclaration': {
        const target = node.kind === 'var' ? this.fnScope(scope) : scope;
        for (const d of node.declarations as Node[]) {
          this.declare(d.id as Node, target, scope);
          this.visit(d.init as Node | null, scope);
        }
        return;
      }
      case 'FunctionDeclaration':
        if (isNode(node.id)) {
          scope.names.add(node.id.name as string);
          this.fnScope(scope).names.add(node.id.name as string);
        }
        this.func(node, scope);
        return;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        this.func(node, scope);
        return;
      case 'ClassDeclaration':
        if (isNode(node.id)) scope.names.add(node.id.name as string);
        this.visit(node.superClass as Node | null, scope);
        this.visit(node.body as Node, this.scope(scope, false));
        return;
      case 'ClassExpression': {
        const s = this.scope(scope, false);
        if (isNode(node.id)) s.names.add(node.id.name as string);
        this.visit(node.superClass as Node | null, scope);
        this.visit(node.body as Node, s);
        return;
      }
      case 'BlockStatement':
      case 'StaticBlock': {
        const s = this.scope(scope, node.type === 'StaticBlock');
        for (const st of node.body as Node[]) this.visit(st, s);
        return;
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'SwitchStatement':
        this.children(node, this.scope(scope, false));
        return;
      case 'CatchClause': {
        const s = this.scope(scope, false);
        this.declare(node.param as Node | null, s, s);
        this.visit(node.body as Node, s);
        return;
      }
      case 'MemberExpression':
        this.visit(node.object as Node, scope);
        if (node.computed) this.visit(node.property as Node, scope);
        return;
      case 'Property':
      case 'PropertyDefinition':
      case 'MethodDefinition':
        if (node.computed) this.visit(node.key as Node, scope);
        this.visit(node.value as Node | null, scope);
        return;
      case 'LabeledStatement':
        this.visit(node.body as Node, scope);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
      case 'Literal':
        return;
      default:
        this.children(node, scope);
    }
  }

  children(node: Node, scope: Scope): void {
    for (const key of Object.keys(node)) {
      if (SKIP_KEYS.has(key)) continue;
      const v = node[key];
      if (Array.isArray(v)) {
        for (const x of v) if (isNode(x)) this.visit(x, scope);
      } else if (isNode(v)) this.visit(v, scope);
    }
  }
}

/**
 * Package-internal: The names `expression` (a function expression's source) uses that are neither
 * declared inside it nor globals, in order of first use.
 * @throws {SyntaxError} when the source cannot be parsed.
 */
export function freeIdentifiers(expression: string): string[] {
  const program = parser()(`(${expression}\n)`, { ecmaVersion: 'latest', sourceType: 'script' });
  const w = new Walker();
  const top: Scope = { parent: undefined, names: new Set(), fn: true };
  w.visit(program, top);
  const free: string[] = [];
  for (const [name, scope] of w.refs) {
    let s: Scope | undefined = scope;
    while (s !== undefined && !s.names.has(name)) s = s.parent;
    if (s === undefined && !(name in globalThis) && !free.includes(name)) free.push(name);
  }
  return free;
}
