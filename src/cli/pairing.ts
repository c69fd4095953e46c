/**
 * How the daemon is reached from other devices, and what the terminal says about it.
 *
 * `--host` on loopback (127.0.0.1, the default, or ::1): this machine only, no token. Any other address, `0.0.0.0`
 * included: the access token is required (src/server/access.ts), and the start prints a pairing URL that carries it,
 * with a QR code of that URL for the tablet's camera. `--tls` serves HTTPS with the self-signed certificate kept in
 * the config directory, `--tls-cert FILE --tls-key FILE` with the user's own; the start prints its SHA-256
 * fingerprint, which the user compares with the one the browser shows before accepting the certificate.
 */
import qrcode from 'qrcode-terminal';
import { readOrCreateToken, TokenFile } from '../host/access-token.js';
import { defaultConfigDir } from '../host/config.js';
import { isLoopbackHost, isWildcardHost, lanAddresses, ownHostNames, urlHost } from '../host/network.js';
import { selfSignedCertificate, type TlsCertificate, userCertificate } from '../host/tls-certificate.js';
import { TOKEN_QUERY } from '../server/access.js';
import type { AppDeps } from '../server/app.js';

export interface ReachOptions {
  readonly host: string;
  /** serve HTTPS with the self-signed certificate */
  readonly tls?: boolean;
  /** serve HTTPS with this certificate (PEM) … */
  readonly tlsCert?: string;
  /** … and this key (PEM) */
  readonly tlsKey?: string;
  /** default: the user's config directory (TABLESIDE_CONFIG_DIR overrides it) */
  readonly configDir?: string;
}

export interface Reach {
  readonly host: string;
  /** listening beyond this machine: every request needs the token */
  readonly token?: TokenFile;
  /** the token was made on this start */
  readonly tokenCreated: boolean;
  readonly tls?: TlsCertificate;
  /** what `buildApp` takes */
  readonly access: NonNullable<AppDeps['access']>;
  readonly https?: NonNullable<AppDeps['https']>;
}

/** Reads (or makes) the token and the certificate the options call for. Throws with the file and the reason. */
export async function prepareReach(options: ReachOptions): Promise<Reach> {
  const configDir = options.configDir ?? defaultConfigDir();
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new Error(
      options.tlsCert === undefined
        ? '--tls-key needs --tls-cert: the certificate that goes with the key'
        : '--tls-cert needs --tls-key: the private key of the certificate',
    );
  }
  let tls: TlsCertificate | undefined;
  if (options.tlsCert !== undefined && options.tlsKey !== undefined)
    tls = userCertificate(options.tlsCert, options.tlsKey);
  else if (options.tls === true) tls = await selfSignedCertificate(configDir);

  let token: TokenFile | undefined;
  let tokenCreated = false;
  if (!isLoopbackHost(options.host)) {
    const made = readOrCreateToken(configDir);
    token = new TokenFile(made.path, made.token);
    tokenCreated = made.created;
  }
  const current = token;
  return {
    host: options.host,
    ...(current === undefined ? {} : { token: current }),
    tokenCreated,
    ...(tls === undefined ? {} : { tls, https: { cert: tls.cert, key: tls.key } }),
    access: {
      hostNames: ownHostNames(options.host),
      ...(current === undefined ? {} : { token: () => current.current() }),
    },
  };
}

/**
 * The addresses to open the view at, best first. Listening on every interface: this machine's LAN addresses (or
 * `localhost` when it has none); on one address: that address. With a token, each carries it.
 */
export function viewUrls(options: { host: string; port: number; tls: boolean; token?: string }): string[] {
  const scheme = options.tls ? 'https' : 'http';
  let hosts: string[];
  if (isWildcardHost(options.host)) {
    const lan = lanAddresses();
    hosts = lan.length > 0 ? lan : ['localhost'];
  } else {
    hosts = [options.host];
  }
  const query = options.token === undefined ? '' : `?${TOKEN_QUERY}=${options.token}`;
  return hosts.map((h) => `${scheme}://${urlHost(h)}:${options.port}/${query}`);
}

/** What the terminal shows once the daemon listens: the URL to open (first line) and, for the LAN, how to pair. */
export function startMessage(
  reach: Reach,
  info: { port: number; sourceLabel: string; demo: boolean; colour: boolean },
): { url: string; text: string } {
  const token = reach.token?.current();
  const urls = viewUrls({
    host: reach.host,
    port: info.port,
    tls: reach.tls !== undefined,
    ...(token === undefined ? {} : { token }),
  });
  const url = urls[0] as string;
  const lines = ['', `tableside: open ${url} (source: ${info.sourceLabel}${info.demo ? ', DEMO' : ''})`, ''];
  if (token !== undefined) {
    lines.push(...pairingLines(urls, info.colour));
    if (reach.tokenCreated) lines.push(`  A new access token was made and kept in ${reach.token?.path}.`);
    lines.push('  `tableside token --rotate` makes a new one and unpairs every device.', '');
  }
  if (reach.tls !== undefined) lines.push(...certificateLines(reach.tls), '');
  return { url, text: `${lines.join('\n')}\n` };
}

/** The pairing URL, its QR code and the other addresses, for the start and for `tableside token`. */
export function pairingLines(urls: readonly string[], colour: boolean): string[] {
  const [first, ...others] = urls;
  if (first === undefined) return [];
  return [
    '  Other devices need the access token in this link: scan the code with the tablet’s camera, or open the link.',
    '',
    ...terminalQr(first, colour)
      .split('\n')
      .map((line) => `  ${line}`),
    '',
    ...others.map((other) => `  Also at: ${other}`),
    ...(others.length > 0 ? [''] : []),
  ];
}

export function certificateLines(tls: TlsCertificate): string[] {
  const lines = [
    `  HTTPS: ${tls.selfSigned ? 'self-signed certificate' : 'certificate'} ${tls.certPath}` +
      `, valid until ${tls.validTo.toISOString().slice(0, 10)}`,
    `  SHA-256 fingerprint: ${tls.fingerprint256}`,
  ];
  if (tls.selfSigned) {
    lines.push(
      '  The browser warns about it once per device: accept only if the fingerprint it shows is the one above.',
    );
    if (tls.created) lines.push('  (This certificate is new: devices that accepted an earlier one ask again.)');
  }
  if (tls.validTo.getTime() < Date.now()) lines.push('  This certificate has expired: browsers will refuse it.');
  return lines;
}

/**
 * A QR code of `text` in Unicode half blocks (two modules per character cell), with a quiet zone of four modules
 * that scanners need. `colour`: pins white on black with ANSI codes, so that the code reads the same way round on a
 * light terminal theme as on a dark one; without it the blocks take the terminal's own colours (light on dark).
 */
export function terminalQr(text: string, colour: boolean): string {
  let small = '';
  qrcode.generate(text, { small: true }, (out) => {
    small = out;
  });
  const light = '█';
  // qrcode-terminal draws one module of quiet zone, and edges its top and bottom lines with the terminal's own
  // background (half blocks): those become light too, and three more modules go on every side.
  const rows = small
    .split('\n')
    .filter((row) => row !== '')
    .map((row) => (/^[▄▀]+$/.test(row) ? light.repeat([...row].length) : row));
  const width = Math.max(...rows.map((row) => [...row].length)) + 2 * QUIET_COLUMNS;
  const pad = light.repeat(QUIET_COLUMNS);
  const full = light.repeat(width);
  const lines = [full, ...rows.map((row) => `${pad}${row}${pad}`), full, full];
  return lines.map((line) => (colour ? `\u001b[97;40m${line}\u001b[0m` : line)).join('\n');
}

/** Extra light columns each side; with the module qrcode-terminal leaves, a quiet zone of four. */
const QUIET_COLUMNS = 3;
