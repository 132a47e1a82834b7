/**
 * The `aiots-queue-demo` command: flags parsed with `node:util`'s `parseArgs`, a usage error
 * answered with one line on stderr and exit code 2, the demo run under `runMain` (Ctrl-C and
 * SIGTERM cancel it: exit codes 130 and 143). With `--redis`, the queue is a `RedisQueue`
 * shared with other processes (`redis-demo.ts`); Redis unreachable is exit code 1.
 */
import { parseArgs } from 'node:util';
import { type Clock, RealClock, runMain, VirtualClock } from '@aiots/loop';
import { PythonRandom } from './python-random.ts';
import { queueDemo } from './queue-demo.ts';
import {
  checkQueueName,
  connectRedis,
  DEFAULT_QUEUE,
  RedisDownError,
  RedisUsageError,
  ROLES,
  type Role,
  redisDemo,
  redisFailure,
} from './redis-demo.ts';

const NAME = 'aiots-queue-demo';
const MAX_TASKS = 100_000;

const USAGE = `Usage: ${NAME} [-p NPROD] [-c NCON] [--seed N] [--virtual-time]
       ${NAME} --redis URL [--role producer|consumer|both] [--queue NAME] [-p NPROD] [-c NCON] [--seed N]

Producers put random items on a queue after random sleeps; consumers take them after random
sleeps of their own, until every item is processed (Real Python's asyncq.py).

Options:
  -p, --nprod N      number of producers (default 5)
  -c, --ncon N       number of consumers (default 10)
      --seed N       seed of the random numbers, as Python's random.seed(N) (default 444)
      --virtual-time sleep on a virtual clock: the same schedule, in milliseconds of wall time
  -h, --help         show this help and exit

Across processes and hosts (one queue in Redis, shared by every process with the same
--redis and --queue; each process draws random numbers only for its own tasks):
      --redis URL    the Redis that holds the queue (redis://[user:pass@]host[:port][/db])
      --role R       producer: put the items, then wait until every item is processed;
                     consumer: take items until stopped (Ctrl-C, SIGTERM); both (default)
      --queue NAME   the queue: letters, digits, _ . : - / (default ${DEFAULT_QUEUE})

Exit codes: 0 done, 1 Redis unreachable, 2 usage error, 130 interrupted (Ctrl-C),
143 terminated.
`;

/** A command line the demo cannot run: reported as one line, exit code 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Parsed {
  help: boolean;
  nprod: number;
  ncon: number;
  seed: bigint;
  virtualTime: boolean;
  /** `--redis URL`: the queue is in this Redis. */
  redis: string | undefined;
  role: Role;
  queue: string;
}

function count(value: string | undefined, flag: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= MAX_TASKS)) {
    throw new UsageError(
      `expected ${flag} to be an integer from ${min} to ${MAX_TASKS}, got '${value}'`,
    );
  }
  return n;
}

function parse(argv: readonly string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        nprod: { type: 'string', short: 'p' },
        ncon: { type: 'string', short: 'c' },
        seed: { type: 'string' },
        'virtual-time': { type: 'boolean' },
        redis: { type: 'string' },
        role: { type: 'string' },
        queue: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    const err = e as { code?: string; message?: string };
    // Node's messages run on with advice about `--`; the first sentence is the error.
    const first =
      String(err.message ?? e)
        .split(/\.\s/)[0]
        ?.replace(/\.$/, '') ?? '';
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS_')) {
      let line = first.charAt(0).toLowerCase() + first.slice(1);
      // `-p -5`: Node's advice on how to pass a value that starts with a dash.
      const attached = /use ('[^']+')/.exec(String(err.message))?.[1];
      if (attached !== undefined) line += `: to pass a value starting with '-', use ${attached}`;
      throw new UsageError(line);
    }
    throw e;
  }
  const seedText = values.seed as string | undefined;
  if (seedText !== undefined && !/^[+-]?\d+$/.test(seedText)) {
    throw new UsageError(`expected --seed to be an integer, got '${seedText}'`);
  }
  const nprod = count(values.nprod as string | undefined, '-p/--nprod', 5, 0);
  const ncon = count(values.ncon as string | undefined, '-c/--ncon', 10, 1);
  const redis = values.redis as string | undefined;
  const roleText = values.role as string | undefined;
  const queueText = values.queue as string | undefined;
  const virtualTime = values['virtual-time'] === true;
  if (redis === undefined) {
    if (roleText !== undefined) throw new UsageError('expected --redis URL with --role');
    if (queueText !== undefined) throw new UsageError('expected --redis URL with --queue');
  } else if (virtualTime) {
    throw new UsageError(
      'expected --virtual-time without --redis (a virtual clock cannot be shared by processes)',
    );
  }
  if (roleText !== undefined && !(ROLES as readonly string[]).includes(roleText)) {
    throw new UsageError(`expected --role to be producer, consumer or both, got '${roleText}'`);
  }
  const role = (roleText ?? 'both') as Role;
  // A flag for the tasks this process does not run would be silently ignored.
  if (role === 'producer' && values.ncon !== undefined) {
    throw new UsageError('expected -c/--ncon only with --role consumer or both');
  }
  if (role === 'consumer' && values.nprod !== undefined) {
    throw new UsageError('expected -p/--nprod only with --role producer or both');
  }
  let queue = DEFAULT_QUEUE;
  if (queueText !== undefined) {
    try {
      queue = checkQueueName(queueText);
    } catch (e) {
      if (e instanceof RedisUsageError) throw new UsageError(e.message);
      throw e;
    }
  }
  return {
    help: values.help === true,
    nprod,
    ncon,
    seed: seedText === undefined ? 444n : BigInt(seedText),
    virtualTime,
    redis,
    role,
    queue,
  };
}

/**
 * `--redis`: this process's share of the demo. Returns the exit code and line of a problem
 * (a `--redis` value that is not a Redis URL: 2; Redis unreachable: 1), or undefined.
 */
async function runShared(
  args: Parsed,
  url: string,
): Promise<{ code: 1 | 2; message: string } | undefined> {
  const start = performance.now();
  try {
    await using conn = await connectRedis(url);
    await redisDemo({
      conn,
      queue: args.queue,
      role: args.role,
      nprod: args.nprod,
      ncon: args.ncon,
      random: new PythonRandom(args.seed),
      print: (line) => console.log(line),
      warn: (line) => process.stderr.write(`${NAME}: ${line}\n`),
    });
    const elapsed = (performance.now() - start) / 1000;
    console.log(`Program completed in ${elapsed.toFixed(5)} seconds.`);
    return undefined;
  } catch (e) {
    if (e instanceof RedisUsageError) return { code: 2, message: `${e.message} (see --help)` };
    if (e instanceof RedisDownError) return { code: 1, message: e.message };
    const down = redisFailure(e);
    if (down !== undefined) return { code: 1, message: down.message };
    throw e;
  }
}

/**
 * Runs the `aiots-queue-demo` command with the given arguments (without `node` and the script
 * name): prints the demo's lines on stdout, then `Program completed in X seconds.`, and sets
 * `process.exitCode`: 0 when done, 1 when Redis (`--redis`) cannot be reached, 2 after a
 * usage error (one line on stderr, nothing run), 130 or 143 when SIGINT or SIGTERM cancelled
 * the run.
 *
 * @param argv The flags: `-p/--nprod N`, `-c/--ncon N`, `--seed N`, `--virtual-time`,
 *   `--redis URL`, `--role producer|consumer|both`, `--queue NAME`, `-h/--help`.
 * @returns When the run is over (or the usage was printed).
 * @throws Nothing for bad input: usage errors become exit code 2.
 * @example
 * ```ts
 * import { cli } from '@aiots/queue-demo';
 * await cli(['--virtual-time', '-p', '1', '-c', '1']); // sleeps in virtual seconds: no wait
 * console.log(process.exitCode); // 0
 * ```
 */
export async function cli(argv: readonly string[]): Promise<void> {
  let args: Parsed;
  try {
    args = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${NAME}: ${e.message} (see --help)\n`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    process.exitCode = 0;
    return;
  }
  const redis = args.redis;
  if (redis !== undefined) {
    let problem: { code: 1 | 2; message: string } | undefined;
    await runMain(async () => {
      problem = await runShared(args, redis);
    });
    if (problem !== undefined) {
      process.stderr.write(`${NAME}: ${problem.message}\n`);
      process.exitCode = problem.code;
    }
    return;
  }
  const clock: Clock = args.virtualTime ? new VirtualClock() : new RealClock();
  const random = new PythonRandom(args.seed);
  const start = clock.now();
  await runMain(
    async () => {
      await queueDemo({ nprod: args.nprod, ncon: args.ncon, random });
      const elapsed = (clock.now() - start) / 1000;
      console.log(`Program completed in ${elapsed.toFixed(5)} seconds.`);
    },
    { clock },
  );
}
