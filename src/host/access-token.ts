/**
 * The access token that other devices on the network must show when the daemon listens beyond this machine
 * (`--host 0.0.0.0` or a LAN address). One random token per user, kept in the config directory beside config.json:
 *
 *   <config dir>/access-token      the token and a newline, readable by its owner only (mode 0600)
 *
 * Created on the first run that needs it, replaced by `tableside token --rotate`. A running daemon reads the file
 * again when it changes (`TokenFile.current`), so a rotation unpairs every device at once, not at the next start.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfigDir } from './config.js';

export const TOKEN_FILE_NAME = 'access-token';

/**
 * 24 random bytes: 192 bits, far beyond guessing even without the rate limit on failures, and 32 characters of
 * base64url — short enough that the pairing URL stays a small QR code.
 */
const TOKEN_BYTES = 24;

/** What a token looks like; anything else in the file is refused rather than used. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,}$/;

/** How often, at most, a running daemon looks at the token file for a rotation (ms). */
const RECHECK_INTERVAL_MS = 1000;

export class AccessTokenError extends Error {
  override readonly name = 'AccessTokenError';
}

export function tokenPath(dir: string = defaultConfigDir()): string {
  return join(dir, TOKEN_FILE_NAME);
}

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** The token in `dir`, created (mode 0600) when there is none. Throws `AccessTokenError` naming the file. */
export function readOrCreateToken(dir: string = defaultConfigDir()): { token: string; path: string; created: boolean } {
  const path = tokenPath(dir);
  const existing = readToken(path);
  if (existing !== undefined) return { token: existing, path, created: false };
  const token = newToken();
  writeToken(dir, token);
  return { token, path, created: true };
}

/** Replaces the token in `dir` with a new one and returns it: every paired device must pair again. */
export function rotateToken(dir: string = defaultConfigDir()): { token: string; path: string } {
  const token = newToken();
  writeToken(dir, token);
  return { token, path: tokenPath(dir) };
}

/** The token in the file at `path`; `undefined` when there is no file. */
export function readToken(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new AccessTokenError(`cannot read the access token ${path}: ${(err as Error).message}`);
  }
  const token = text.trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new AccessTokenError(
      `${path} does not hold a tableside access token: delete it or run \`tableside token --rotate\` to make a new one`,
    );
  }
  tightenMode(path);
  return token;
}

/** Atomically (temporary file, then rename), readable by the owner only: a crash never leaves half a token. */
function writeToken(dir: string, token: string): void {
  const path = tokenPath(dir);
  try {
    mkdirSync(dir, { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${token}\n`, { mode: 0o600 });
    renameSync(temporary, path);
  } catch (err) {
    throw new AccessTokenError(`cannot write the access token ${path}: ${(err as Error).message}`);
  }
}

/** A token file someone copied with default permissions is made private again (POSIX only; Windows has no modes). */
function tightenMode(path: string): void {
  if (process.platform === 'win32') return;
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  } catch {
    // read a moment ago; if it vanished in between, the next read says so
  }
}

/**
 * The token a running daemon checks requests against. `current()` looks at the file at most once a second and reads
 * it again when it changed, so `tableside token --rotate` in another terminal takes effect at once. A file that
 * disappears or goes bad while running keeps the last good token (the next start says what is wrong).
 */
export class TokenFile {
  private token: string;
  /** the file's identity when it was last read: a rotation renames a new file into place */
  private version: string;
  private checkedAtMs = 0;

  constructor(
    readonly path: string,
    token: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.token = token;
    this.version = versionOf(path);
  }

  current(): string {
    const now = this.nowMs();
    if (now - this.checkedAtMs < RECHECK_INTERVAL_MS) return this.token;
    this.checkedAtMs = now;
    const version = versionOf(this.path);
    if (version === this.version) return this.token;
    try {
      const token = readToken(this.path);
      if (token !== undefined) {
        this.token = token;
        this.version = version;
      }
    } catch {
      // keep the last good token
    }
    return this.token;
  }
}

function versionOf(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
  } catch {
    return 'missing';
  }
}
