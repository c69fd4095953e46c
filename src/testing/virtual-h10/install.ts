/**
 * Installing the virtual H10 in a process: substitute the HCI socket module, create the controller with its straps,
 * make it the active adapter, and run a script of timed knobs. `installVirtualH10FromEnv()` does it from the
 * TABLESIDE_VIRTUAL_H10 environment variable (JSON), for `preload.cjs`.
 *
 *   TABLESIDE_VIRTUAL_H10='{"speed": 10, "strap": {"recording": "recordings/bartels_rest_rri.txt"},
 *                           "script": [{"atMs": 20000, "do": "dropLink", "reason": 8}]}'
 *
 * A strap's `journal` names a file that gets one JSON line per StrapJournalEntry (each notification sent with its RR
 * values, the beats lost while nobody listened, link changes): what the strap really sent, for a test to compare with
 * what the process stored. The controller's clock also becomes the Bluetooth source's clock (BLE_SOURCE_CLOCK), so
 * that with `speed` > 1 arrival times and beat times run at the same pace, as they do with a real strap.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BLE_SOURCE_CLOCK } from '../../ble/source-clock.js';
import { parseRrText } from '../../io/rr-file.js';
import type { CccdBehaviour } from './att.js';
import { VirtualController, type VirtualControllerOptions } from './controller.js';
import { substituteHciSocket } from './seam.js';
import { useVirtualController } from './socket.js';
import type { VirtualH10, VirtualH10Options } from './strap.js';

export const VIRTUAL_H10_ENV = 'TABLESIDE_VIRTUAL_H10';

/** Where an installed controller can be found in the process (`globalThis[VIRTUAL_H10_GLOBAL]`). */
export const VIRTUAL_H10_GLOBAL = Symbol.for('tableside.virtualH10');

export type StrapConfig = Partial<VirtualH10Options> & {
  /** an RR file (any format src/io reads), relative to the working directory: the strap's RR sequence */
  readonly recording?: string;
  /** only the first this many RR values of `recording` (or `rrMs`) */
  readonly beats?: number;
  /** a file (created afresh) for the strap's journal, one JSON line per entry */
  readonly journal?: string;
};

/** The signal a test sends the process to cue the script's steps that wait for it (`afterCue`). */
export const SCRIPT_CUE_SIGNAL = 'SIGUSR2';

/**
 * A knob turned `atMs` of wall time after noble opened the adapter, or with `afterCue: n` after the process received
 * its n-th SCRIPT_CUE_SIGNAL (a test's "the page is watching now", whatever the time the start took). Strap 0 unless
 * `strap` says otherwise.
 */
export type ScriptStep = { readonly atMs: number; readonly strap?: number; readonly afterCue?: number } & (
  | { readonly do: 'dropLink'; readonly reason?: number; readonly advertise?: boolean }
  | { readonly do: 'adapterDown' | 'adapterUp' | 'stopRr' }
  | { readonly do: 'advertising' | 'acceptConnections' | 'scanRefused'; readonly on: boolean }
  | { readonly do: 'cccd'; readonly behaviour: CccdBehaviour }
  | { readonly do: 'burstHold'; readonly notifications: number }
);

export type VirtualH10Config = Partial<Omit<VirtualControllerOptions, 'straps'>> & {
  /** one strap (shorthand for `straps: [strap]`) */
  readonly strap?: StrapConfig;
  readonly straps?: readonly StrapConfig[];
  readonly script?: readonly ScriptStep[];
};

function strapOptions(config: StrapConfig): Partial<VirtualH10Options> {
  const { recording, beats, journal: _journal, ...options } = config;
  let rrMs = options.rrMs;
  if (recording !== undefined) {
    const path = resolve(recording);
    rrMs = Array.from(parseRrText(readFileSync(path, 'utf8'), path).rrMs);
  }
  if (rrMs !== undefined && beats !== undefined) rrMs = rrMs.slice(0, beats);
  return rrMs === undefined ? options : { ...options, rrMs };
}

/** Appends the strap's journal to `file`, one JSON line per entry, synchronously (nothing is lost at exit). */
function keepJournal(strap: VirtualH10, file: string): void {
  const path = resolve(file);
  writeFileSync(path, '');
  strap.observe((entry) => appendFileSync(path, `${JSON.stringify(entry)}\n`));
}

/** Substitutes the socket module and makes a new controller the adapter. Call before noble is loaded. */
export function installVirtualH10(config: VirtualH10Config = {}): VirtualController {
  const { strap, straps, script, ...controllerOptions } = config;
  const strapConfigs = straps ?? (strap === undefined ? [{}] : [strap]);
  substituteHciSocket();
  const controller = new VirtualController({ ...controllerOptions, straps: strapConfigs.map(strapOptions) });
  strapConfigs.forEach((c, i) => {
    if (c.journal !== undefined) keepJournal(controller.straps[i], c.journal);
  });
  useVirtualController(controller);
  (globalThis as Record<symbol, unknown>)[VIRTUAL_H10_GLOBAL] = controller;
  // Arrival times on the strap clock: at speed 20 a second of wall time is 20 s of beats, and of arrivals.
  if (controller.options.speed !== 'manual') {
    const epochMs = Date.now();
    (globalThis as Record<symbol, unknown>)[BLE_SOURCE_CLOCK] = () => epochMs + controller.strapTimeMs;
  }
  // Script times count from the moment noble opens the adapter, or from a cue.
  const run = (step: ScriptStep) => setTimeout(() => runStep(controller, step), step.atMs).unref();
  controller.whenStarted(() => {
    for (const step of script ?? []) if (step.afterCue === undefined) run(step);
  });
  if (script?.some((step) => step.afterCue !== undefined)) {
    let cues = 0;
    process.on(SCRIPT_CUE_SIGNAL, () => {
      const cue = ++cues;
      controller.whenStarted(() => {
        for (const step of script) if (step.afterCue === cue) run(step);
      });
    });
  }
  return controller;
}

/** Installs from TABLESIDE_VIRTUAL_H10 (JSON; "{}" or "1" for the defaults). Returns null when it is not set. */
export function installVirtualH10FromEnv(env: NodeJS.ProcessEnv = process.env): VirtualController | null {
  const raw = env[VIRTUAL_H10_ENV];
  if (raw === undefined || raw.trim() === '' || raw === '0') return null;
  let config: VirtualH10Config;
  try {
    config = raw.trim() === '1' ? {} : (JSON.parse(raw) as VirtualH10Config);
  } catch (err) {
    throw new Error(`${VIRTUAL_H10_ENV} is not valid JSON: ${(err as Error).message}`);
  }
  return installVirtualH10(config);
}

function runStep(controller: VirtualController, step: ScriptStep): void {
  const strap = controller.straps[step.strap ?? 0];
  if (strap === undefined) return;
  switch (step.do) {
    case 'dropLink':
      controller.dropLink(step.reason, {
        strap,
        ...(step.advertise === undefined ? {} : { advertise: step.advertise }),
      });
      return;
    case 'adapterDown':
      controller.setAdapterUp(false);
      return;
    case 'adapterUp':
      controller.setAdapterUp(true);
      return;
    case 'stopRr':
      strap.stopRr();
      return;
    case 'advertising':
      strap.setAdvertising(step.on);
      return;
    case 'acceptConnections':
      strap.setAcceptConnections(step.on);
      return;
    case 'scanRefused':
      controller.setScanRefused(step.on);
      return;
    case 'cccd':
      strap.setCccd(step.behaviour);
      return;
    case 'burstHold':
      strap.setBurstHold(step.notifications);
      return;
  }
}
