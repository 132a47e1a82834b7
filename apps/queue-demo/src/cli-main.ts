/**
 * The `aiots-queue-demo` command: flags parsed with `node:util`'s `parseArgs`, a usage error
 * answered with one line on stderr and exit code 2, the demo run under `runMain` (Ctrl-C and
 * SIGTERM cancel it: exit codes 130 and 143).
 */
import { parseArgs } from 'node:util';
import { type Clock, RealClock, runMain, VirtualClock } from '@aiots/loop';
import { PythonRandom } from './python-random.ts';
import { queueDemo } from './queue-demo.ts';

const NAME = 'aiots-queue-demo';
const MAX_TASKS = 100_000;

const USAGE = `Usage: ${NAME} [-p NPROD] [-c NCON] [--seed N] [--virtual-time]

Producers put random items on a queue after random sleeps; consumers take them after random
sleeps of their own, until every item is processed (Real Python's asyncq.py).

Options:
  -p, --nprod N      number of producers (default 5)
  -c, --ncon N       number of consumers (default 10)
      --seed N       seed of the random numbers, as Python's random.seed(N) (default 444)
      --virtual-time sleep on a virtual clock: the same schedule, in milliseconds of wall time
  -h, --help         show this help and exit

Exit codes: 0 done, 2 usage error, 130 interrupted (Ctrl-C), 143 terminated.
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
  return {
    help: values.help === true,
    nprod: count(values.nprod as string | undefined, '-p/--nprod', 5, 0),
    ncon: count(values.ncon as string | undefined, '-c/--ncon', 10, 1),
    seed: seedText === undefined ? 444n : BigInt(seedText),
    virtualTime: values['virtual-time'] === true,
  };
}

/**
 * Runs the `aiots-queue-demo` command with the given arguments (without `node` and the script
 * name): prints the demo's lines on stdout, then `Program completed in X seconds.`, and sets
 * `process.exitCode`: 0 when done, 2 after a usage error (one line on stderr, nothing run),
 * 130 or 143 when SIGINT or SIGTERM cancelled the run.
 *
 * @param argv The flags: `-p/--nprod N`, `-c/--ncon N`, `--seed N`, `--virtual-time`,
 *   `-h/--help`.
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
