/**
 * TLS and Unix sockets beyond the conformance suite: certificate errors, extra info, the
 * server side of a rejected handshake, stale socket files.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CertificateError,
  ConnectionRefusedError,
  createSubprocessExec,
  openConnection,
  openUnixConnection,
  startServer,
  startUnixServer,
} from '@aiots/streams';
import { selfSignedCert } from '@aiots/test-utils';
import { describe, expect, test } from 'vitest';
import { inLoop } from './helpers.ts';

const cert = selfSignedCert();

describe('TLS', () => {
  test(
    'verified connection: peercert, cipher, canWriteEof false',
    inLoop(async () => {
      const server = await startServer(
        async (r, w) => {
          w.write(await r.readline());
          w.close();
        },
        '127.0.0.1',
        0,
        { tls: cert },
      );
      const [reader, writer] = await openConnection('127.0.0.1', server.address().port, {
        tls: { ca: cert.cert },
        serverHostname: 'localhost',
      });
      writer.write('secret\n');
      expect((await reader.readline()).toString()).toBe('secret\n');
      expect(writer.getExtraInfo<{ subject: { CN: string } }>('peercert').subject.CN).toBe(
        'localhost',
      );
      expect(writer.getExtraInfo<{ name: string }>('cipher').name).toMatch(/\w/);
      expect(writer.canWriteEof()).toBe(false);
      expect(() => writer.writeEof()).toThrow(/no half-close/);
      writer.close();
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'a self-signed certificate is a CertificateError; the server closes that connection',
    inLoop(async () => {
      const server = await startServer(async () => {}, '127.0.0.1', 0, { tls: cert });
      const e = await openConnection('127.0.0.1', server.address().port, { tls: true }).catch(
        (x: unknown) => x,
      );
      expect(CertificateError.is(e)).toBe(true);
      expect(((e as Error).cause as { code: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      // The rejected client never became a connection: waitClosed does not hang on it.
      server.close();
      await server.waitClosed();
      expect(server.stats().accepted).toBe(0);
    }),
  );

  test(
    'a host name the certificate does not name is a CertificateError',
    inLoop(async () => {
      const server = await startServer(async () => {}, '127.0.0.1', 0, { tls: cert });
      const e = await openConnection('127.0.0.1', server.address().port, {
        tls: { ca: cert.cert },
        serverHostname: 'example.org',
      }).catch((x: unknown) => x);
      expect(CertificateError.is(e)).toBe(true);
      expect(((e as Error).cause as { code: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'tls: true with rejectUnauthorized false connects to a self-signed server',
    inLoop(async () => {
      const server = await startServer(
        async (_r, w) => {
          w.write('ok');
          w.close();
        },
        '127.0.0.1',
        0,
        { tls: cert },
      );
      const [reader] = await openConnection('127.0.0.1', server.address().port, {
        tls: { rejectUnauthorized: false },
      });
      expect((await reader.read()).toString()).toBe('ok');
      server.close();
      await server.waitClosed();
    }),
  );

  test(
    'bad tls options are TypeErrors',
    inLoop(async () => {
      await expect(openConnection('127.0.0.1', 1, { tls: 'yes' as never })).rejects.toThrow(
        TypeError,
      );
      await expect(
        startServer(async () => {}, '127.0.0.1', 0, { tls: true as never }),
      ).rejects.toThrow(TypeError);
    }),
  );
});

/** Leaves a socket file with nobody listening: a server process killed with SIGKILL. */
async function staleSocket(path: string): Promise<void> {
  const proc = await createSubprocessExec(
    process.execPath,
    [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
    ],
    { stdout: 'pipe' },
  );
  expect((await proc.stdout?.readline())?.toString()).toBe('up\n');
  proc.kill();
  await proc.wait();
  expect(existsSync(path)).toBe(true);
}

describe('Unix sockets', () => {
  test(
    'peername/sockname are { address: path, port: 0, family: unix }',
    inLoop(async () => {
      const path = join(tmpdir(), `aiots-unix-${process.pid}-a.sock`);
      const server = await startUnixServer(async (r, w) => {
        w.write(await r.readline());
        w.close();
      }, path);
      expect(server.address()).toEqual({ address: path, port: 0, family: 'unix' });
      const [reader, writer] = await openUnixConnection(path);
      expect(writer.getExtraInfo('peername')).toEqual({ address: path, port: 0, family: 'unix' });
      writer.write('x\n');
      expect((await reader.readline()).toString()).toBe('x\n');
      writer.close();
      server.close();
      await server.waitClosed();
      expect(existsSync(path)).toBe(false); // removed on close
    }),
  );

  test(
    'a stale socket file is replaced; a regular file is not',
    inLoop(async () => {
      const path = join(tmpdir(), `aiots-unix-${process.pid}-b.sock`);
      await staleSocket(path);
      const server = await startUnixServer(async (_r, w) => w.close(), path);
      const [reader] = await openUnixConnection(path);
      expect((await reader.read()).length).toBe(0);
      server.close();
      await server.waitClosed();

      const file = join(tmpdir(), `aiots-unix-${process.pid}-c.sock`);
      writeFileSync(file, 'not a socket');
      const e = await startUnixServer(async () => {}, file).catch((x: unknown) => x);
      expect((e as { code?: string }).code).toBe('EADDRINUSE');
      rmSync(file);
    }),
  );

  test(
    'nothing listening: ConnectionRefusedError; no file: ENOENT',
    inLoop(async () => {
      const path = join(tmpdir(), `aiots-unix-${process.pid}-d.sock`);
      const e = await openUnixConnection(path).catch((x: unknown) => x);
      expect((e as { code?: string }).code).toBe('ENOENT');
      await staleSocket(path);
      const e2 = await openUnixConnection(path).catch((x: unknown) => x);
      expect(ConnectionRefusedError.is(e2)).toBe(true);
      rmSync(path, { force: true });
    }),
  );
});
