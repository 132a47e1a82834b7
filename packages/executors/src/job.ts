/**
 * Jobs: what a pool can run. A self-contained function travels as its source text; a module
 * job names an export of a module the worker imports. Each distinct job gets a spec once
 * (checked for closures, resolved, validated) with a numeric id; each worker gives the specs
 * it is sent a slot in its table of functions, so a batch carries slot numbers, and a worker
 * receives a function's source or module URL only when it gets a slot (see PoolWorker).
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe } from '@aiots/loop/lowlevel';
import { freeIdentifiers } from './closure.ts';
import { ClosureError, JobModuleError } from './errors.ts';
import { LruMap } from './lru.ts';
import { DEF_MODULE, DEF_SOURCE } from './protocol.js';

/** The key of `ModuleJob`'s type-only signature: no value ever has it. */
declare const signature: unique symbol;

/**
 * A reference to a function exported by a module, which the worker imports (the module may
 * import anything; a `.ts` module works on Node 24). `module` is a `URL`, a `file:`/`data:`
 * URL string or an absolute path; `name` defaults to `'default'`. The type parameters only
 * carry the function's signature for `submit`.
 */
export interface ModuleJob<A extends unknown[] = unknown[], R = unknown> {
  readonly module: string | URL;
  readonly name?: string;
  /** Type-only: the signature of the export. Never set at runtime. */
  readonly [signature]?: (...args: A) => R;
}

/** A job: a self-contained function, or a module export. */
export type Job<A extends unknown[], R> = ((...args: A) => R) | ModuleJob<A, R>;

/** Package-internal: */
export interface JobSpec {
  readonly id: number;
  readonly kind: number;
  /** Function source (as an expression) or module URL. */
  readonly payload: string;
  /** Export name, or the function's name. */
  readonly name: string;
  /** For task names and messages. */
  readonly label: string;
  /** What a task waiting on such a job shows in `formatTaskTree()`. */
  readonly waitLabel: string;
}

const byFunction = new WeakMap<object, JobSpec>();
/**
 * How many function sources and module exports are remembered. A function object is found
 * through `byFunction` while it lives; these caches serve new closures of a known source
 * (an arrow written inside a loop) and repeated `{ module, name }` objects, and forget the
 * least recently used beyond this many, so generated job functions cannot grow them without
 * end. Workers bound their own tables (see PoolWorker's slots).
 */
const MAX_CACHED = 512;

const bySource = new LruMap<string, JobSpec>(MAX_CACHED);
const byObject = new WeakMap<object, JobSpec>();
const byKey = new LruMap<string, JobSpec>(MAX_CACHED);
let nextId = 0;

/**
 * Package-internal: The spec of `job`, made on first use.
 * @throws {TypeError} for something that is not a job; {ClosureError}; {JobModuleError}.
 */
export function resolveJob(job: unknown, where: string): JobSpec {
  if (typeof job === 'function') {
    const cached = byFunction.get(job);
    if (cached !== undefined) return cached;
    const spec = functionSpec(job as (...a: unknown[]) => unknown, where);
    byFunction.set(job, spec);
    return spec;
  }
  if (typeof job === 'object' && job !== null) {
    const cached = byObject.get(job);
    if (cached !== undefined) return cached;
    const spec = moduleSpec(job as ModuleJob, where);
    byObject.set(job, spec);
    return spec;
  }
  throw new TypeError(
    `${where} expected a job: a self-contained function or { module, name }, got ${describe(job)}`,
  );
}

function functionSpec(fn: (...a: unknown[]) => unknown, where: string): JobSpec {
  const source = Function.prototype.toString.call(fn);
  const cached = bySource.get(source);
  if (cached !== undefined) return cached;
  const label = fn.name || '(anonymous)';
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new TypeError(
      `${where} expected a self-contained job function, got the built-in or bound function ${label}: its source cannot be sent to a worker. Wrap it, e.g. (x) => Math.sqrt(x)`,
    );
  }
  if (/^class\b/.test(source)) {
    throw new TypeError(`${where} expected a job function, got the class ${label}`);
  }
  const expression = toExpression(source);
  let free: string[];
  try {
    free = freeIdentifiers(expression);
  } catch (e) {
    throw new TypeError(
      `${where} could not parse the source of the job function ${label} (${(e as Error).message}); use a module job { module, name } instead`,
      { cause: e },
    );
  }
  if (free.length > 0) throw closureError(label, free);
  const spec: JobSpec = {
    id: nextId++,
    kind: DEF_SOURCE,
    payload: expression,
    name: label,
    label,
    waitLabel: `executor job ${label}`,
  };
  bySource.set(source, spec);
  return spec;
}

/** A method's source (`name() {}`) is not an expression; wrap it in an object literal. */
function toExpression(source: string): string {
  if (/^(async\s+)?(function\b|\(|[\w$]+\s*=>)/.test(source)) return source;
  return `((o) => o[Reflect.ownKeys(o)[0]])({ ${source}\n})`;
}

/** Package-internal: */
export function closureError(
  label: string,
  free: readonly string[],
  cause?: unknown,
): ClosureError {
  const names = free.map((n) => `\`${n}\``).join(', ');
  const name = label === '(anonymous)' ? 'job' : label;
  return new ClosureError(
    `The job function ${label} uses ${names}, which ${free.length === 1 ? 'is' : 'are'} defined outside it. A job function is sent to the worker as source text, so it cannot close over outer variables or imports: pass ${free.length === 1 ? 'the value' : 'the values'} as arguments, or export the function from a module and submit { module: new URL('./jobs.ts', import.meta.url), name: '${name}' }`,
    { identifiers: free, cause },
  );
}

function moduleSpec(job: ModuleJob, where: string): JobSpec {
  const { module, name = 'default' } = job;
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(
      `${where} expected \`name\` of a module job to be an export name, got ${describe(name)}`,
    );
  }
  let href: string;
  if (module instanceof URL) href = module.href;
  else if (typeof module === 'string' && /^(file|data|node):/.test(module)) href = module;
  else if (typeof module === 'string' && isAbsolute(module)) href = pathToFileURL(module).href;
  else {
    throw new TypeError(
      `${where} expected \`module\` to be a URL or an absolute path, got ${describe(module)}; resolve a relative path with new URL('./jobs.ts', import.meta.url)`,
    );
  }
  const key = `${href}\0${name}`;
  const cached = byKey.get(key);
  if (cached !== undefined) return cached;
  if (href.startsWith('file:') && !existsSync(fileURLToPath(href))) {
    throw new JobModuleError(`Cannot find the job module ${href}: expected an existing file`, {
      module: href,
    });
  }
  const file = href.startsWith('data:') ? 'data: URL' : href.slice(href.lastIndexOf('/') + 1);
  const spec: JobSpec = {
    id: nextId++,
    kind: DEF_MODULE,
    payload: href,
    name,
    label: `${name} (${file})`,
    waitLabel: `executor job ${name} (${file})`,
  };
  byKey.set(key, spec);
  return spec;
}
