/**
 * Running the real CLI with the virtual H10 behind noble (src/testing/virtual-h10/preload.cjs), and reading what a
 * virtual strap says it sent (its journal: one JSON line per notification, per beat lost while nobody listened).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PRELOAD = fileURLToPath(new URL('../../src/testing/virtual-h10/preload.cjs', import.meta.url));

/** The environment of a process with the virtual H10 (and nothing else from this test process's Bluetooth setup). */
export function virtualH10Env(config: object, configDir: string): NodeJS.ProcessEnv {
  return {
    NODE_OPTIONS: `--require ${PRELOAD}`,
    TABLESIDE_VIRTUAL_H10: JSON.stringify(config),
    TABLESIDE_CONFIG_DIR: configDir,
  };
}

export type Journal =
  | { kind: 'notify'; strapTimeMs: number; payload: string; rrTicks: number[] }
  | { kind: 'lost'; strapTimeMs: number; rrTicks: number[] }
  | { kind: 'connected' | 'disconnected' | 'rrEnded'; strapTimeMs: number };

/** The journal's complete lines: the strap may be writing the last one while a test polls it. */
export function readJournal(path: string): Journal[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  // After the last newline: nothing, or a line still being written.
  lines.pop();
  return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Journal);
}

export const ticksToMs = (t: number): number => (t * 1000) / 1024;

/** The RR values the strap sent, ms, in order. */
export function sentRrMs(path: string): number[] {
  return readJournal(path).flatMap((e) => (e.kind === 'notify' ? e.rrTicks.map(ticksToMs) : []));
}

/**
 * The strap has played its whole sequence and said so: after its last RR it goes on notifying HR alone, so a
 * notification after `rrEnded` means the last notification with RR is in the journal too.
 */
export function strapPlayed(path: string): boolean {
  const kinds = readJournal(path).map((e) => e.kind);
  const end = kinds.indexOf('rrEnded');
  return end >= 0 && kinds.indexOf('notify', end) > end;
}
