/**
 * The files behind access on the network: the access token (src/host/access-token.ts), the TLS certificate
 * (src/host/tls-certificate.ts), and this machine's addresses and names (src/host/network.ts). Real files in a
 * temp folder; the certificates are checked with Node's own X.509 parser.
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessTokenError, readOrCreateToken, rotateToken, TokenFile, tokenPath } from '../../src/host/access-token.js';
import {
  type Interfaces,
  isLoopbackHost,
  isWildcardHost,
  lanAddresses,
  ownHostNames,
  urlHost,
} from '../../src/host/network.js';
import {
  SELF_SIGNED_VALIDITY_DAYS,
  selfSignedCertificate,
  selfSignedPaths,
  TlsCertificateError,
  userCertificate,
} from '../../src/host/tls-certificate.js';
import { tempDir } from '../helpers/daemon-process.js';

const posix = process.platform !== 'win32';
let dir: { path: string; remove: () => void };
beforeEach(() => {
  dir = tempDir('tableside-access-');
});
afterEach(() => dir.remove());

describe('the access token file', () => {
  it('is made once, private to its owner, and kept', () => {
    const first = readOrCreateToken(dir.path);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(readFileSync(tokenPath(dir.path), 'utf8')).toBe(`${first.token}\n`);
    if (posix) expect(statSync(first.path).mode & 0o777).toBe(0o600);
    const again = readOrCreateToken(dir.path);
    expect(again).toMatchObject({ token: first.token, created: false });
  });

  it('rotates to a new token, and a running daemon’s TokenFile sees it within its recheck interval', () => {
    const { token, path } = readOrCreateToken(dir.path);
    let nowMs = 1_000_000;
    const file = new TokenFile(path, token, () => nowMs);
    expect(file.current()).toBe(token);
    const rotated = rotateToken(dir.path).token;
    expect(rotated).not.toBe(token);
    if (posix) expect(statSync(path).mode & 0o777).toBe(0o600);
    nowMs += 100; // not looked at again yet
    expect(file.current()).toBe(token);
    nowMs += 1000;
    expect(file.current()).toBe(rotated);
  });

  it('keeps the last good token when the file goes bad while running, and refuses a bad file at start', () => {
    const { token, path } = readOrCreateToken(dir.path);
    let nowMs = 0;
    const file = new TokenFile(path, token, () => nowMs);
    writeFileSync(path, 'not a token\n');
    nowMs += 5000;
    expect(file.current()).toBe(token);
    expect(() => readOrCreateToken(dir.path)).toThrow(AccessTokenError);
    expect(() => readOrCreateToken(dir.path)).toThrow(`${path} does not hold a tableside access token`);
  });

  it('makes a copied token file private again', () => {
    if (!posix) return;
    const { path } = readOrCreateToken(dir.path);
    chmodSync(path, 0o644);
    readOrCreateToken(dir.path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('says which file it cannot use, and why', () => {
    const blocked = join(dir.path, 'a-file');
    writeFileSync(blocked, '');
    expect(() => readOrCreateToken(join(blocked, 'config'))).toThrow(/cannot read the access token .*a-file.*ENOTDIR/);
  });
});

describe('the self-signed certificate', () => {
  it('names this machine, is valid for 825 days, serves TLS and is kept with the same fingerprint', async () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const made = await selfSignedCertificate(dir.path, now);
    expect(made.created).toBe(true);
    expect(made.selfSigned).toBe(true);
    const x509 = new X509Certificate(readFileSync(made.certPath));
    expect(x509.fingerprint256).toBe(made.fingerprint256);
    expect(made.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(x509.subjectAltName).toMatch(/DNS:localhost/);
    expect(x509.subjectAltName).toMatch(/IP Address:127\.0\.0\.1/);
    expect(x509.keyUsage ?? []).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    expect(x509.ca).toBe(false);
    const days = (new Date(x509.validTo).getTime() - now.getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(SELF_SIGNED_VALIDITY_DAYS);
    if (posix) expect(statSync(made.keyPath).mode & 0o777).toBe(0o600);

    const kept = await selfSignedCertificate(dir.path, new Date('2027-11-23T10:00:00Z'));
    expect(kept).toMatchObject({ created: false, fingerprint256: made.fingerprint256 });
  });

  it('is made anew when it has run out or its files are damaged', async () => {
    const made = await selfSignedCertificate(dir.path, new Date('2026-11-23T10:00:00Z'));
    const later = await selfSignedCertificate(dir.path, new Date('2029-03-01T10:00:00Z'));
    expect(later.created).toBe(true);
    expect(later.fingerprint256).not.toBe(made.fingerprint256);
    writeFileSync(selfSignedPaths(dir.path).keyPath, 'garbage');
    const repaired = await selfSignedCertificate(dir.path, new Date('2029-03-01T10:00:00Z'));
    expect(repaired.created).toBe(true);
  });
});

describe('a certificate of the user’s own', () => {
  it('is used as given, with its fingerprint', async () => {
    const made = await selfSignedCertificate(dir.path);
    const own = userCertificate(made.certPath, made.keyPath);
    expect(own).toMatchObject({ selfSigned: false, created: false, fingerprint256: made.fingerprint256 });
  });

  it('is refused with the file and the reason: missing, not PEM, a key of another certificate', async () => {
    const a = await selfSignedCertificate(join(dir.path, 'a'));
    const b = await selfSignedCertificate(join(dir.path, 'b'));
    const missing = join(dir.path, 'missing.pem');
    expect(() => userCertificate(missing, a.keyPath)).toThrow(TlsCertificateError);
    expect(() => userCertificate(missing, a.keyPath)).toThrow(`cannot read --tls-cert ${missing}`);
    expect(() => userCertificate(a.certPath, missing)).toThrow(`cannot read --tls-key ${missing}`);
    expect(() => userCertificate(a.keyPath, a.keyPath)).toThrow(`${a.keyPath} is not a PEM certificate`);
    expect(() => userCertificate(a.certPath, a.certPath)).toThrow(`${a.certPath} is not a usable PEM private key`);
    expect(() => userCertificate(a.certPath, b.keyPath)).toThrow(
      `the key in ${b.keyPath} does not belong to the certificate in ${a.certPath}`,
    );
  });
});

describe('this machine on the network', () => {
  const entry = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({
    address,
    family,
    internal,
    netmask: '',
    mac: '00:00:00:00:00:00',
    cidr: null,
    ...(family === 'IPv6' ? { scopeid: 0 } : {}),
  });

  it('offers the addresses a tablet can reach, home and clinic networks first', () => {
    const interfaces = {
      lo: [entry('127.0.0.1', 'IPv4', true), entry('::1', 'IPv6', true)],
      docker0: [entry('172.17.0.1', 'IPv4')],
      eth0: [entry('10.0.0.7', 'IPv4'), entry('fe80::1', 'IPv6'), entry('2001:db8::7', 'IPv6')],
      wlan0: [entry('192.168.1.23', 'IPv4'), entry('169.254.3.4', 'IPv4')],
    } as unknown as Interfaces;
    expect(lanAddresses(interfaces)).toEqual(['192.168.1.23', '10.0.0.7', '2001:db8::7']);
    expect(lanAddresses({} as Interfaces)).toEqual([]);
  });

  it('tells loopback from the network, and names itself', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.23', 'clinic-pc', '128.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
    expect(isWildcardHost('0.0.0.0')).toBe(true);
    expect(isWildcardHost('::')).toBe(true);
    expect(isWildcardHost('192.168.1.23')).toBe(false);
    expect(ownHostNames('clinic-pc.lan', 'Clinic-PC.fritz.box')).toEqual([
      'localhost',
      'clinic-pc.fritz.box',
      'clinic-pc.local',
      'clinic-pc',
      'clinic-pc.lan',
    ]);
    expect(ownHostNames('0.0.0.0', 'pc')).toEqual(['localhost', 'pc', 'pc.local']);
    expect(urlHost('fd00::2')).toBe('[fd00::2]');
    expect(urlHost('192.168.1.23')).toBe('192.168.1.23');
  });
});
