/**
 * @internal Turns Node's system errors into the named errors of this package, keeping the
 * original as `cause`. Errors with no named counterpart pass through unchanged: Node's own
 * errors already carry a `code` (`EADDRINUSE`, `EHOSTUNREACH`, ...).
 */
import {
  BrokenPipeError,
  CertificateError,
  ConnectionAbortedError,
  ConnectionRefusedError,
  ConnectionResetError,
  HostNotFoundError,
} from './errors.ts';

/** TLS verification failures, as Node (OpenSSL) names them. */
const certificateCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** The `code` of a Node error; for an AggregateError (happy eyeballs), its first error's. */
export function errorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const errors = (e as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0]);
  return undefined;
}

/**
 * The named error for system error `e`, or `e` itself when there is none. `where` names the
 * peer for the message (`127.0.0.1:8080`).
 */
export function toStreamError(e: unknown, where?: string): unknown {
  const code = errorCode(e);
  if (code === undefined) return e;
  const at = where === undefined ? '' : ` (${where})`;
  const reason = (e as Error).message;
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionRefusedError(`Connection refused${at}: ${reason}`, { cause: e });
    case 'ECONNRESET':
      return new ConnectionResetError(`Connection reset by peer${at}: ${reason}`, { cause: e });
    case 'EPIPE':
    case 'ERR_STREAM_WRITE_AFTER_END':
      return new BrokenPipeError(`Broken pipe${at}: ${reason}`, { cause: e });
    case 'ECONNABORTED':
      return new ConnectionAbortedError(`Connection aborted${at}: ${reason}`, { cause: e });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new HostNotFoundError(`Could not resolve host${at}: ${reason}`, { cause: e });
    default:
      if (certificateCodes.has(code)) {
        return new CertificateError(`TLS certificate rejected${at}: ${reason}`, { cause: e });
      }
      return e;
  }
}
