/**
 * `tableside token [--rotate]`: the pairing link and its QR code again (the start prints them too), or a new access
 * token. A running daemon reads the token file when it changes, so a rotation takes effect within seconds: requests
 * with the old token get 401 and the live sockets opened with it are closed.
 */
import { readOrCreateToken, rotateToken } from '../host/access-token.js';
import { defaultConfigDir } from '../host/config.js';
import { isLoopbackHost } from '../host/network.js';
import { stdout } from '../host/output.js';
import { pairingLines, viewUrls } from './pairing.js';

export interface TokenOptions {
  readonly rotate?: boolean;
  /** where the daemon listens, so that the link points at it (the daemon's own --port, --host and --tls) */
  readonly port: number;
  readonly host: string;
  readonly tls?: boolean;
}

export function tokenCommand(opts: TokenOptions): void {
  const dir = defaultConfigDir();
  const { token, path } = opts.rotate === true ? rotateToken(dir) : readOrCreateToken(dir);
  const host = isLoopbackHost(opts.host) ? '0.0.0.0' : opts.host;
  const urls = viewUrls({ host, port: opts.port, tls: opts.tls === true, token });
  const lines = [
    ...(opts.rotate === true
      ? [
          `tableside: a new access token is in ${path}.`,
          '  Every paired device must pair again; a running tableside uses the new token within a few seconds.',
          '',
        ]
      : [`tableside: the access token is in ${path}.`, '']),
    `  Pairing link: ${urls[0]}`,
    '',
    ...pairingLines(urls, process.stdout.isTTY === true),
    `  The link is for a daemon started with --port ${opts.port}${opts.tls === true ? ' --tls' : ''}: ` +
      'give this command the options the daemon was started with.',
    `  Scripts: Authorization: Bearer ${token}`,
  ];
  stdout().write(`${lines.join('\n')}\n`);
}
