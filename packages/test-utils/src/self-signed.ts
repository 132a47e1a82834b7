/**
 * A self-signed TLS certificate for `127.0.0.1` and `localhost`, made with the system's
 * `openssl` in a temporary directory, for https tests that need a certificate a client does
 * not trust unless told to.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key and its self-signed certificate, PEM-encoded. */
export interface SelfSignedCert {
  readonly key: string;
  readonly cert: string;
}

/**
 * Makes a fresh self-signed certificate (RSA 2048, valid one day) for `127.0.0.1`, `::1` and
 * `localhost`.
 *
 * @param openssl The openssl binary (default `/usr/bin/openssl`, else `openssl` on PATH).
 * @returns The PEM key and certificate.
 */
export function makeSelfSignedCert(openssl = '/usr/bin/openssl'): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), 'aiots-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      openssl,
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
