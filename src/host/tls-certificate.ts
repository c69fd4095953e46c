/**
 * The certificate for `--tls`. Browsers give the Screen Wake Lock (and other features) only to secure contexts, and a
 * tablet on the clinic's Wi-Fi reaches the daemon by a LAN address, which is not one unless served over HTTPS.
 *
 * - `--tls`: a self-signed certificate that tableside creates once and keeps in the config directory
 *
 *     <config dir>/tls-cert.pem   the certificate
 *     <config dir>/tls-key.pem    its private key, readable by its owner only (mode 0600)
 *
 *   It names localhost, this machine's name and `.local` name, 127.0.0.1, ::1 and the LAN addresses the machine had
 *   when it was made. It is kept (and so is its fingerprint, which the user checks once per device) until it expires
 *   or the files are deleted; then a new one is made.
 * - `--tls-cert FILE --tls-key FILE`: the user's own certificate (e.g. from their own CA), used as given.
 *
 * No browser trusts a self-signed certificate by itself: the user accepts it once per device after checking that
 * the SHA-256 fingerprint the browser shows is the one tableside printed.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { defaultConfigDir } from './config.js';
import { lanAddresses, ownHostNames } from './network.js';

export const TLS_CERT_FILE_NAME = 'tls-cert.pem';
export const TLS_KEY_FILE_NAME = 'tls-key.pem';

/**
 * 825 days: the longest validity Apple's platforms accept for a TLS server certificate (and Chrome follows suit), so
 * the same certificate also works if a user chooses to install and trust it on an iPad.
 */
export const SELF_SIGNED_VALIDITY_DAYS = 825;

/** A certificate this close to its end is replaced at start rather than let expire during a session. */
const RENEW_BEFORE_MS = 24 * 3600 * 1000;

export interface TlsCertificate {
  readonly cert: string;
  readonly key: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** SHA-256 of the certificate, colon-separated hex pairs: the figure browsers show in the certificate viewer */
  readonly fingerprint256: string;
  readonly validTo: Date;
  /** the names and addresses it is valid for ("DNS:localhost, IP Address:127.0.0.1, …") */
  readonly subjectAltName: string;
  readonly selfSigned: boolean;
  /** made on this start (the fingerprint is new: every device must accept it again) */
  readonly created: boolean;
}

export class TlsCertificateError extends Error {
  override readonly name = 'TlsCertificateError';
}

export function selfSignedPaths(dir: string = defaultConfigDir()): { certPath: string; keyPath: string } {
  return { certPath: join(dir, TLS_CERT_FILE_NAME), keyPath: join(dir, TLS_KEY_FILE_NAME) };
}

/** The self-signed certificate kept in `dir`, made (and kept) when there is none or it has run out. */
export async function selfSignedCertificate(
  dir: string = defaultConfigDir(),
  now: Date = new Date(),
): Promise<TlsCertificate> {
  const { certPath, keyPath } = selfSignedPaths(dir);
  const kept = keptCertificate(certPath, keyPath, now);
  if (kept !== undefined) return kept;

  const names = ownHostNames(undefined, hostname());
  const addresses = ['127.0.0.1', '::1', ...lanAddresses()];
  const notAfter = new Date(now.getTime() + SELF_SIGNED_VALIDITY_DAYS * 24 * 3600 * 1000);
  // Loaded only to make a certificate (rarely: its modules are a tenth of a daemon's memory).
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: `tableside on ${hostname()}` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000), // a tablet whose clock is a little behind still accepts it
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...names.map((value) => ({ type: 2 as const, value })),
          ...addresses.filter((ip) => isIP(ip) !== 0).map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  try {
    mkdirSync(dir, { recursive: true });
    writeAtomically(keyPath, pems.private, 0o600);
    writeAtomically(certPath, pems.cert, 0o644);
  } catch (err) {
    throw new TlsCertificateError(`cannot write the TLS certificate to ${dir}: ${(err as Error).message}`);
  }
  return { ...describe(pems.cert, pems.private, certPath, keyPath, true), created: true };
}

/** The user's own certificate and key (PEM), checked to belong together. Throws `TlsCertificateError`. */
export function userCertificate(certPath: string, keyPath: string): TlsCertificate {
  const cert = readPem(certPath, '--tls-cert');
  const key = readPem(keyPath, '--tls-key');
  return { ...describe(cert, key, certPath, keyPath, false), created: false };
}

/** The kept self-signed certificate if it is whole and still valid for more than a day; else undefined. */
function keptCertificate(certPath: string, keyPath: string, now: Date): TlsCertificate | undefined {
  let cert: string;
  let key: string;
  try {
    cert = readFileSync(certPath, 'utf8');
    key = readFileSync(keyPath, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const described = describe(cert, key, certPath, keyPath, true);
    if (described.validTo.getTime() - now.getTime() < RENEW_BEFORE_MS) return undefined;
    return { ...described, created: false };
  } catch {
    // damaged or mismatched files: make a new pair
    return undefined;
  }
}

function describe(
  cert: string,
  key: string,
  certPath: string,
  keyPath: string,
  selfSigned: boolean,
): Omit<TlsCertificate, 'created'> {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new TlsCertificateError(`${certPath} is not a PEM certificate: ${(err as Error).message}`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    const why = /passphrase/i.test((err as Error).message)
      ? 'it is protected by a passphrase, and tableside needs the key without one'
      : (err as Error).message;
    throw new TlsCertificateError(`${keyPath} is not a usable PEM private key: ${why}`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsCertificateError(`the key in ${keyPath} does not belong to the certificate in ${certPath}`);
  }
  return {
    cert,
    key,
    certPath,
    keyPath,
    fingerprint256: x509.fingerprint256,
    validTo: new Date(x509.validTo),
    subjectAltName: x509.subjectAltName ?? '',
    selfSigned,
  };
}

function readPem(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new TlsCertificateError(`cannot read ${option} ${path}: ${(err as Error).message}`);
  }
}

function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode });
  // writeFileSync's mode is masked by the umask and ignored for an existing file: set it explicitly.
  if (process.platform !== 'win32') chmodSync(temporary, mode);
  renameSync(temporary, path);
}
