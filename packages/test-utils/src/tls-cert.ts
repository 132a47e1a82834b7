/**
 * A throwaway self-signed TLS certificate for tests, made with the system's `openssl`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM key and certificate. */
export interface TestCertificate {
  /** The private key (PEM). */
  key: string;
  /** The self-signed certificate (PEM); also the CA that verifies it. */
  cert: string;
}

/**
 * Makes a self-signed EC certificate for `localhost`, `127.0.0.1` and `::1` (or the names
 * given), valid for a day.
 *
 * @param names DNS names for the subjectAltName (default `['localhost']`).
 * @returns The key and certificate.
 * @throws when `openssl` is missing or fails.
 * @example
 * ```ts no-run
 * const { key, cert } = selfSignedCert();
 * tls.createServer({ key, cert });
 * ```
 */
export function selfSignedCert(names: readonly string[] = ['localhost']): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'aiots-cert-'));
  try {
    const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1', 'IP:::1'].join(',');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        `/CN=${names[0] ?? 'localhost'}`,
        '-addext',
        `subjectAltName=${san}`,
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
