/**
 * The `aiots-echo` command: `serve` and `client tcp|udp|serial`, flags parsed with
 * `node:util`'s `parseArgs`. A usage error is one line on stderr and exit code 2. `serve`
 * shuts down gracefully on SIGINT/SIGTERM and exits 0; a client stopped by a signal exits
 * 130/143.
 */
import { createRequire } from 'node:module';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CancelledError, currentTask, runMain } from '@aiots/loop';
import { Event } from '@aiots/sync';
import {
  type Messages,
  serialEchoClient,
  stdinLines,
  tcpEchoClient,
  udpEchoClient,
} from './clients.ts';
import { startEchoServer } from './echo-server.ts';

const NAME = 'aiots-echo';

const USAGE = `Usage: aiots-echo serve [--host HOST] [--tcp PORT] [--udp PORT] [--serial PATH [--baud N]]
       aiots-echo client tcp --port PORT [--host HOST] [-m MESSAGE ...] [--retries N] [--retry-ms N]
       aiots-echo client udp --port PORT [--host HOST] [-m MESSAGE ...] [--timeout-ms N]
       aiots-echo client serial --path PATH [--baud N] [-m MESSAGE ...] [--timeout-ms N]

serve: echo servers in one process. With none of --tcp, --udp, --serial: TCP on 8888 and
UDP on 9999. Port 0 picks a free port; the start-up lines say which:
"TCP echo server on HOST:PORT", "UDP echo server on HOST:PORT".
  --host HOST      address to listen on (default 127.0.0.1)
  --tcp PORT       serve TCP on PORT
  --udp PORT       serve UDP on PORT
  --serial PATH    echo on the serial device PATH (reopened when it comes back)
  --baud N         its speed (default 9600)
  --grace-ms N     on SIGINT/SIGTERM, how long open connections may finish (default 5000)

client: sends each MESSAGE (or each line of stdin) and prints "Received: LINE".
  -m, --message M  a message to send (repeatable; default: the lines of stdin)
  --port PORT      the server's port (tcp, udp)
  --host HOST      the server's host (default 127.0.0.1)
  --retries N      tcp: failed connection attempts in a row before giving up (default: no limit)
  --retry-ms N     tcp: the first wait before retrying, doubled each time (default 1000)
  --timeout-ms N   udp: wait for each echo (default 1000); serial: likewise (default 5000)
  --path PATH      serial: the device
  --baud N         serial: its speed (default 9600)

  -h, --help       show this help and exit
  -V, --version    show the version and exit

Exit codes: 0 done (serve: stopped by SIGINT/SIGTERM), 1 a client gave up or lost
datagrams, 2 usage error, 130/143 a client interrupted.
`;

/** A command line that cannot run. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Values = Record<string, string | boolean | string[] | undefined>;

function parse(argv: readonly string[], options: ParseArgsConfig['options']): Values {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument '${positionals[0]}'`);
    }
    return values as Values;
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    if (typeof err.code !== 'string' || !err.code.startsWith('ERR_PARSE_ARGS_')) throw e;
    const message = String(err.message);
    const first = message.split(/\.\s/)[0]?.replace(/\.$/, '') ?? message;
    let line = first.charAt(0).toLowerCase() + first.slice(1);
    const attached = /use ('[^']+')/.exec(message)?.[1];
    if (attached !== undefined) line += `: to pass a value starting with '-', use ${attached}`;
    throw new UsageError(line);
  }
}

function integer(
  value: unknown,
  flag: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`expected ${flag} to be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

const port = (value: unknown, flag: string) => integer(value, flag, 0, 65535);

function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
}

function host(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value === '') throw new UsageError('expected --host to be a host name or address');
  return value as string;
}

const MESSAGE = { message: { type: 'string', short: 'm', multiple: true } } as const;

function messages(values: Values): Messages {
  const list = values.message as string[] | undefined;
  return list ?? stdinLines();
}

/** Runs `serve` until SIGINT/SIGTERM, then shuts down gracefully (exit 0). */
async function serve(values: Values): Promise<void> {
  const serialPath = values.serial as string | undefined;
  if (serialPath === '') throw new UsageError('expected --serial to be a device path');
  const baud = integer(values.baud, '--baud', 1) ?? 9600;
  if (values.baud !== undefined && serialPath === undefined) {
    throw new UsageError('--baud goes with --serial PATH');
  }
  const opts = {
    host: host(values.host),
    tcpPort: port(values.tcp, '--tcp'),
    udpPort: port(values.udp, '--udp'),
    serial: serialPath === undefined ? undefined : { path: serialPath, baudRate: baud },
  };
  const graceMs = integer(values['grace-ms'], '--grace-ms', 0) ?? 5000;
  await runMain(async () => {
    const server = await startEchoServer(opts);
    try {
      await new Event().wait(); // until a signal cancels this task
    } catch (e) {
      if (!CancelledError.is(e)) throw e;
      // SIGINT/SIGTERM: stop cleanly, and end as a normal exit.
      currentTask()?.uncancel();
      console.log('Shutting down');
    }
    await server.shutdown({ graceMs });
    console.log('Echo server stopped');
  });
}

async function client(kind: string | undefined, argv: readonly string[]): Promise<void> {
  if (kind === 'tcp') {
    const v = parse(argv, {
      ...MESSAGE,
      port: { type: 'string' },
      host: { type: 'string' },
      retries: { type: 'string' },
      'retry-ms': { type: 'string' },
    });
    if (v.help === true) return help();
    const opts = {
      port: required(port(v.port, '--port'), '--port'),
      host: host(v.host),
      retries: integer(v.retries, '--retries', 0),
      retryMs: integer(v['retry-ms'], '--retry-ms', 1),
    };
    await runMain(async () => {
      await tcpEchoClient({ ...opts, messages: messages(v) });
    });
    return;
  }
  if (kind === 'udp') {
    const v = parse(argv, {
      ...MESSAGE,
      port: { type: 'string' },
      host: { type: 'string' },
      'timeout-ms': { type: 'string' },
    });
    if (v.help === true) return help();
    const opts = {
      port: required(port(v.port, '--port'), '--port'),
      host: host(v.host),
      timeoutMs: integer(v['timeout-ms'], '--timeout-ms', 1),
    };
    let lost = 0;
    await runMain(async () => {
      const r = await udpEchoClient({ ...opts, messages: messages(v) });
      lost = r.sent - r.received;
    });
    if (process.exitCode === 0 && lost > 0) process.exitCode = 1;
    return;
  }
  if (kind === 'serial') {
    const v = parse(argv, {
      ...MESSAGE,
      path: { type: 'string' },
      baud: { type: 'string' },
      'timeout-ms': { type: 'string' },
    });
    if (v.help === true) return help();
    const path = required(v.path as string | undefined, '--path');
    if (path === '') throw new UsageError('expected --path to be a device path');
    const opts = {
      path,
      baudRate: integer(v.baud, '--baud', 1) ?? 9600,
      timeoutMs: integer(v['timeout-ms'], '--timeout-ms', 1),
    };
    await runMain(async () => {
      await serialEchoClient({ ...opts, messages: messages(v) });
    });
    return;
  }
  if (kind === undefined || kind === '-h' || kind === '--help') {
    if (kind === undefined) throw new UsageError('expected client tcp, udp or serial');
    return help();
  }
  throw new UsageError(`unknown client '${kind}': expected tcp, udp or serial`);
}

function help(): void {
  process.stdout.write(USAGE);
  process.exitCode = 0;
}

/**
 * Runs the `aiots-echo` command with the given arguments (without `node` and the script
 * name) and sets `process.exitCode`: 0 when done (`serve` after SIGINT/SIGTERM included), 1
 * when a client gave up or lost datagrams, 2 after a usage error (one line on stderr), 130
 * or 143 when a client was interrupted.
 *
 * @param argv `serve ...` or `client tcp|udp|serial ...`, as `aiots-echo --help` lists.
 * @returns When the command is over.
 * @throws Nothing for bad input: usage errors become exit code 2.
 * @example
 * ```ts
 * import { cli } from '@aiots/echo';
 * await cli(['--help']); // the usage, on stdout
 * console.log(process.exitCode); // 0
 * ```
 */
export async function cli(argv: readonly string[]): Promise<void> {
  try {
    const [command, ...rest] = argv;
    if (command === 'serve') {
      const v = parse(rest, {
        host: { type: 'string' },
        tcp: { type: 'string' },
        udp: { type: 'string' },
        serial: { type: 'string' },
        baud: { type: 'string' },
        'grace-ms': { type: 'string' },
      });
      if (v.help === true) return help();
      await serve(v);
    } else if (command === 'client') {
      await client(rest[0], rest.slice(1));
    } else if (command === '-h' || command === '--help') {
      help();
    } else if (command === '-V' || command === '--version') {
      const require = createRequire(import.meta.url);
      process.stdout.write(`${(require('../package.json') as { version: string }).version}\n`);
      process.exitCode = 0;
    } else if (command === undefined) {
      throw new UsageError('expected a command: serve or client');
    } else {
      throw new UsageError(`unknown command '${command}': expected serve or client`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${NAME}: ${e.message} (see --help)\n`);
    process.exitCode = 2;
  }
}
