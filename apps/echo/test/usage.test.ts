// The command line of the built `aiots-echo`: --help for each command, and every kind of
// usage error as one line on stderr with exit code 2 (no stack trace).
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from './dist-build.ts';
import { echo } from './helpers.ts';

beforeAll(
  () => ensureDist(['@aiots/loop', '@aiots/sync', '@aiots/streams', '@aiots/serial']),
  180_000,
);

describe('aiots-echo --help', () => {
  it.each([
    [['--help']],
    [['-h']],
    [['serve', '--help']],
    [['client', '--help']],
    [['client', 'tcp', '--help']],
    [['client', 'udp', '-h']],
    [['client', 'serial', '--help']],
  ])('%j prints the usage on stdout and exits 0', async (args) => {
    const r = await echo(args).done;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^Usage: aiots-echo serve \[--host HOST\] \[--tcp PORT\] \[--udp PORT\]/,
    );
    for (const flag of [
      '--tcp',
      '--udp',
      '--serial',
      '--baud',
      '--message',
      '--retries',
      '--timeout-ms',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('--version prints the version', async () => {
    const r = await echo(['--version']).done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('usage errors: one line on stderr, exit code 2', () => {
  it.each([
    [[], 'expected a command: serve or client'],
    [['bogus'], "unknown command 'bogus': expected serve or client"],
    [['serve', '--bogus'], "unknown option '--bogus'"],
    [['serve', '--tcp'], "option '--tcp <value>' argument missing"],
    [['serve', '--tcp', 'x'], "expected --tcp to be an integer from 0 to 65535, got 'x'"],
    [['serve', '--udp', '70000'], "expected --udp to be an integer from 0 to 65535, got '70000'"],
    [['serve', '--baud', '9600'], '--baud goes with --serial PATH'],
    [['serve', '--serial', '/dev/x', '--baud', '0'], 'expected --baud to be an integer from 1'],
    [['serve', 'extra'], "unexpected argument 'extra'"],
    [['client'], 'expected client tcp, udp or serial'],
    [['client', 'ftp'], "unknown client 'ftp': expected tcp, udp or serial"],
    [['client', 'tcp'], '--port is required'],
    [['client', 'tcp', '--port', '-1'], "option '--port' argument is ambiguous"],
    [
      ['client', 'tcp', '--port', '1', '--retries', 'many'],
      'expected --retries to be an integer from 0',
    ],
    [
      ['client', 'udp', '--port', '1', '--timeout-ms', '0'],
      'expected --timeout-ms to be an integer from 1',
    ],
    [['client', 'serial'], '--path is required'],
    [
      ['client', 'serial', '--path', '/dev/x', '--baud', 'fast'],
      'expected --baud to be an integer from 1',
    ],
  ])('%j', async (args, message) => {
    const r = await echo(args).done;
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^aiots-echo: .* \(see --help\)$/);
    expect(lines[0]).toContain(message);
  });
});
