/**
 * What the terminal shows to pair a tablet (src/cli/pairing.ts): the QR code is read back by a real QR decoder
 * (jsQR, as a phone's camera would, polarity fixed: no inverted reading) from the characters printed, and the start
 * message and the options that choose token and certificate are checked.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareReach, startMessage, terminalQr, viewUrls } from '../../src/cli/pairing.js';
import { tokenPath } from '../../src/host/access-token.js';
import { tempDir } from '../helpers/daemon-process.js';
import { readQr } from '../helpers/qr.js';

describe('the QR code in the terminal', () => {
  for (const url of [
    'http://192.168.1.23:8080/?token=7v3Rk9Qm2xLp8sTn4wYc6bHa1eJf5gUd',
    'https://[2001:db8::7]:8443/?token=7v3Rk9Qm2xLp8sTn4wYc6bHa1eJf5gUd',
  ]) {
    it(`reads back as ${url}, the right way round, with or without colour codes`, () => {
      for (const colour of [false, true]) expect(readQr(terminalQr(url, colour))).toBe(url);
    });
  }

  it('pins light on dark with ANSI codes when asked, line by line', () => {
    const lines = terminalQr('http://x/', true).split('\n');
    const on = '\u001b[97;40m';
    const off = '\u001b[0m';
    for (const line of lines) {
      expect(line.startsWith(on) && line.endsWith(off)).toBe(true);
      expect(line.slice(on.length, -off.length)).toMatch(/^[█▀▄ ]+$/);
    }
  });
});

describe('the start message and the options behind it', () => {
  let dir: { path: string; remove: () => void };
  beforeEach(() => {
    dir = tempDir('tableside-pairing-');
  });
  afterEach(() => dir.remove());

  it('keeps this machine only without a token or a QR code', async () => {
    const reach = await prepareReach({ host: '127.0.0.1', configDir: dir.path });
    expect(reach.token).toBeUndefined();
    expect(reach.access.token).toBeUndefined();
    const { url, text } = startMessage(reach, { port: 8080, sourceLabel: 'sim', demo: true, colour: false });
    expect(url).toBe('http://127.0.0.1:8080/');
    expect(text).toBe('\ntableside: open http://127.0.0.1:8080/ (source: sim, DEMO)\n\n');
    expect(viewUrls({ host: '::1', port: 8080, tls: false })).toEqual(['http://[::1]:8080/']);
  });

  it('on the network: makes the token, prints the pairing URL and its QR code, and checks with the token file', async () => {
    const reach = await prepareReach({ host: '192.168.1.23', configDir: dir.path });
    const token = readFileSync(tokenPath(dir.path), 'utf8').trim();
    expect(reach.tokenCreated).toBe(true);
    expect(reach.access.token?.()).toBe(token);
    const { url, text } = startMessage(reach, { port: 8080, sourceLabel: 'strap', demo: false, colour: false });
    expect(url).toBe(`http://192.168.1.23:8080/?token=${token}`);
    expect(text).toContain(`tableside: open ${url} (source: strap)`);
    expect(text).toContain('scan the code');
    expect(text).toContain('█');
    expect(text).toContain('tableside token --rotate');
    expect(text).toContain(`A new access token was made and kept in ${tokenPath(dir.path)}`);
    const again = await prepareReach({ host: '192.168.1.23', configDir: dir.path });
    expect(again.tokenCreated).toBe(false);
    expect(startMessage(again, { port: 8080, sourceLabel: 's', demo: false, colour: false }).text).not.toContain(
      'A new access token',
    );
  });

  it('with --tls: HTTPS URLs and the certificate’s fingerprint', async () => {
    const reach = await prepareReach({ host: '0.0.0.0', tls: true, configDir: dir.path });
    expect(reach.https?.cert).toContain('BEGIN CERTIFICATE');
    const { url, text } = startMessage(reach, { port: 8443, sourceLabel: 's', demo: false, colour: false });
    expect(url).toMatch(/^https:\/\/\S+:8443\/\?token=[\w-]{32}$/);
    expect(text).toContain(`SHA-256 fingerprint: ${reach.tls?.fingerprint256}`);
    expect(text).toContain('accept only if the fingerprint it shows is the one above');
  });

  it('refuses half a certificate pair, naming the option that is missing', async () => {
    await expect(prepareReach({ host: '0.0.0.0', tlsCert: 'cert.pem', configDir: dir.path })).rejects.toThrow(
      '--tls-cert needs --tls-key',
    );
    await expect(prepareReach({ host: '0.0.0.0', tlsKey: 'key.pem', configDir: dir.path })).rejects.toThrow(
      '--tls-key needs --tls-cert',
    );
  });
});
