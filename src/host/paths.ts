/** Where tableside keeps its data by default: the user's data directory, as each platform names it. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform) {
  if (env.TABLESIDE_DATA_DIR) return env.TABLESIDE_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'tableside');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'tableside');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'tableside');
}

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultDataDir(env), 'tableside.db');
}
