import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readRrFile } from '../../src/io/rr-file.js';
import { exited, openViewer, runCli, runCliResult, startDaemon, tempDir, waitFor } from '../helpers/daemon-process.js';
import { readJournal, ticksToMs, virtualH10Env } from '../helpers/virtual-strap.js';

const REPORT_MODULES = fileURLToPath(new URL('../ble/fixtures/report-loaded-modules.cjs', import.meta.url));
const RECORDING = 'recordings/bartels_rest_rri.txt';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function scratch() {
  const dir = tempDir('tableside-ble-');
  cleanups.push(dir.remove);
  return dir.path;
}

/** The environment of a process on this machine as it is: no adapter. */
function noAdapterEnv(configDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { NODE_OPTIONS: '', TABLESIDE_VIRTUAL_H10: '', TABLESIDE_CONFIG_DIR: configDir, ...extra };
}

async function health(url: string): Promise<{ status: { state: string; reason?: string; device?: { id: string } } }> {
  const response = await fetch(`${url}api/health`);
  return (await response.json()) as { status: { state: string; reason?: string; device?: { id: string } } };
}

/** Polls /api/health until `predicate` holds (10 s at most). */
async function untilHealth(
  url: string,
  predicate: (h: Awaited<ReturnType<typeof health>>) => boolean,
): Promise<Awaited<ReturnType<typeof health>>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const h = await health(url);
    if (predicate(h)) return h;
    if (Date.now() > deadline) throw new Error(`/api/health never matched; last: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface StatusLike {
  state: string;
  reason?: string;
}

describe('tableside start on the virtual H10 (real process, real noble, real database)', () => {
  it('streams, survives two link losses, and stores exactly the RR values the strap sent, in order', async () => {
    const dir = scratch();
    const db = join(dir, 't.db');
    const journalPath = join(dir, 'strap.jsonl');
    const BEATS = 150;
    // Strap time runs 20× wall time: 150 beats of a real resting recording (~160 s) in ~8 s. The links drop 3.5 s
    // and 5.5 s (wall) after noble opened the adapter, with a supervision timeout, then "remote user terminated".
    const config = {
      speed: 20,
      strap: { recording: RECORDING, beats: BEATS, whenRrEnd: 'stop', journal: journalPath },
      script: [
        { atMs: 3500, do: 'dropLink', reason: 0x08 },
        { atMs: 5500, do: 'dropLink', reason: 0x13 },
      ],
    };
    const daemon = await startDaemon(['start', '--db', db], virtualH10Env(config, dir));
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const { ws, messages } = await openViewer(daemon.url);
    cleanups.push(() => ws.terminate());
    const hello = messages[0] as {
      type: string;
      source: { kind: string; demo: boolean };
      status: StatusLike | null;
      session: {
        session: { clientLabel: string; therapistNote: string };
        beats: { rrMs: number[]; gapBefore: boolean[] };
        gaps: { fromS: number; toS: number; reason: string }[];
      } | null;
    };
    expect(hello).toMatchObject({ type: 'hello', source: { kind: 'ble', demo: false } });
    expect(hello.session?.session).toMatchObject({ clientLabel: '', therapistNote: 'live strap' });

    // Wait until the strap has played its whole sequence and every RR value it sent has reached the viewer.
    const beatsSeen = () => [
      ...(hello.session?.beats.rrMs ?? []),
      ...messages.filter((m) => m.type === 'beat').map((m) => m.rrMs as number),
    ];
    const sentTicks = () => readJournal(journalPath).flatMap((e) => (e.kind === 'notify' ? e.rrTicks : []));
    // (After its last RR the strap goes on notifying HR alone: a notification after `rrEnded` means the last RR one is
    // in the file too.)
    const played = () => {
      const kinds = readJournal(journalPath).map((e) => e.kind);
      const end = kinds.indexOf('rrEnded');
      return end >= 0 && kinds.indexOf('notify', end) > end;
    };
    await waitFor(
      () => played() && beatsSeen().length >= sentTicks().length,
      30_000,
      `the end of the strap's sequence; output:\n${daemon.output()}`,
    );

    // Statuses: live → disconnected (0x08) → live → disconnected (0x13) → live, with the reasons in words.
    const statuses: StatusLike[] = [
      ...(hello.status ? [hello.status] : []),
      ...messages.filter((m) => m.type === 'status').map((m) => m.status as StatusLike),
    ];
    const liveAndLost = statuses.filter((s) => s.state === 'live' || s.state === 'disconnected');
    expect(liveAndLost.map((s) => s.state)).toEqual(['live', 'disconnected', 'live', 'disconnected', 'live']);
    expect(liveAndLost[1].reason).toMatch(/link lost \(supervision timeout.*\[0x08\]/);
    expect(liveAndLost[3].reason).toMatch(/the strap ended the connection \(remote user terminated.*\[0x13\]/);
    // Between the two: looking for the strap again and connecting, by itself.
    expect(statuses.map((s) => s.state).join(' ')).toMatch(
      /disconnected scanning connecting live.*disconnected scanning connecting live/,
    );

    // Live values reached the viewer: beats, and metrics (with an RMSSD once 50 s of clean beats were in).
    const beatMessages = messages.filter((m) => m.type === 'beat');
    const metrics = messages.filter((m) => m.type === 'metrics');
    expect(beatMessages.length).toBeGreaterThan(50);
    expect(metrics.length).toBeGreaterThan(50);
    expect(metrics.some((m) => typeof m.rmssdMs === 'number')).toBe(true);

    // The journal accounts for every beat of the recording: sent or lost, in the recording's order.
    const journal = readJournal(journalPath);
    const recordingTicks = Array.from((await readRrFile(RECORDING)).rrMs.subarray(0, BEATS), (ms) =>
      Math.round((ms * 1024) / 1000),
    );
    expect(journal.flatMap((e) => (e.kind === 'notify' || e.kind === 'lost' ? e.rrTicks : []))).toEqual(recordingTicks);
    const sent = sentTicks().map(ticksToMs);
    const lostRuns: number[] = [];
    for (const e of journal) {
      if (e.kind === 'disconnected') lostRuns.push(0);
      else if (e.kind === 'lost' && lostRuns.length > 0) {
        lostRuns[lostRuns.length - 1] += e.rrTicks.reduce((a, t) => a + ticksToMs(t), 0) / 1000;
      }
    }
    expect(lostRuns.length).toBeGreaterThanOrEqual(2);
    expect(lostRuns[0]).toBeGreaterThan(5); // the link losses really lost beats

    // Gaps: one per link loss, with the reason, spanning the beats the strap lost (±2 s: a run's first notification
    // is anchored to its arrival, and its last RR ended up to one notification interval, plus delivery, earlier).
    const gaps = [
      ...(hello.session?.gaps ?? []),
      ...messages
        .filter((m) => m.type === 'gap')
        .map((m) => m as unknown as { fromS: number; toS: number; reason: string }),
    ];
    expect(gaps.map((g) => g.reason)).toEqual([liveAndLost[1].reason, liveAndLost[3].reason]);
    gaps.forEach((g, i) => {
      expect(g.toS).toBeGreaterThan(g.fromS);
      expect(Math.abs(g.toS - g.fromS - lostRuns[i])).toBeLessThan(2);
    });
    const gapBefore = [...(hello.session?.beats.gapBefore ?? []), ...beatMessages.map((m) => m.gapBefore as boolean)];
    expect(gapBefore.filter(Boolean)).toHaveLength(2);

    // The viewer saw the strap's RR values, in order, none lost across the link losses, none invented.
    expect(beatsSeen()).toEqual(sent);

    // SIGTERM: the session is ended and the database closed.
    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);
    const sessions = JSON.parse(await runCli(['sessions', '--json', '--db', db]));
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ status: 'ended', beatCount: sent.length, sourceKind: 'ble' });
    const rrText = await runCli(['export', String(sessions[0].id), '--format', 'rr', '--db', db]);
    expect(rrText.trim().split('\n').map(Number)).toEqual(sent);

    // The strap that went live is remembered for the next start.
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({
      lastStrap: { name: 'Polar H10 8AA87D20', id: '8AA87D20' },
    });
  }, 60_000);

  it('connects to the remembered strap rather than the nearer one, and Ctrl-C (SIGINT) still shuts down cleanly', async () => {
    const dir = scratch();
    const db = join(dir, 't.db');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ lastStrap: { name: 'Polar H10 1A2B3C4D', id: '1A2B3C4D' } }),
    );
    const config = {
      speed: 5,
      straps: [
        { name: 'Polar H10 8AA87D20', rssi: -50 },
        { name: 'Polar H10 1A2B3C4D', address: 'c3:33:33:33:33:33', rssi: -80 },
      ],
    };
    const daemon = await startDaemon(['start', '--db', db], virtualH10Env(config, dir));
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    await waitFor(
      () => /looking for Polar H10 1A2B3C4D, the strap used last time/.test(daemon.output()),
      10_000,
      'the remembered strap in the output',
    );
    const live = await untilHealth(daemon.url, (h) => h.status?.state === 'live');
    expect(live.status).toMatchObject({ state: 'live', device: { id: '1A2B3C4D' } });
    const { ws, messages } = await openViewer(daemon.url);
    cleanups.push(() => ws.terminate());
    await waitFor(() => messages.some((m) => m.type === 'beat'), 10_000, 'a beat');

    // noble adds a SIGINT listener that exits with 1 when it is the last one (ble.md §3.4): the daemon's must win.
    daemon.child.kill('SIGINT');
    expect(await exited(daemon.child)).toBe(0);
    const sessions = JSON.parse(await runCli(['sessions', '--json', '--db', db]));
    expect(sessions[0]).toMatchObject({ status: 'ended' });
    expect(sessions[0].beatCount).toBeGreaterThan(0);
  }, 30_000);
});

describe('tableside start and scan without a Bluetooth adapter (this machine)', () => {
  it('start serves the view, says plainly what is missing and how to fix it, and keeps running', async () => {
    const dir = scratch();
    const db = join(dir, 't.db');
    const report = join(dir, 'modules.json');
    const daemon = await startDaemon(
      ['start', '--db', db],
      noAdapterEnv(dir, { NODE_OPTIONS: `--require ${REPORT_MODULES}`, TABLESIDE_LOADED_MODULES_REPORT: report }),
    );
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    await waitFor(() => /Bluetooth is not available/.test(daemon.output()), 10_000, 'the message');
    const { status } = await health(daemon.url);
    expect(status).toMatchObject({ state: 'disconnected', reason: expect.stringMatching(/no Bluetooth adapter/) });
    const { ws, messages } = await openViewer(daemon.url);
    expect(messages[0]).toMatchObject({ type: 'hello', status: { state: 'disconnected' } });
    ws.close();
    const out = daemon.output();
    expect(out).toMatch(/tableside: Bluetooth is not available: no Bluetooth adapter/);
    expect(out).toContain('sudo setcap cap_net_raw+eip $(eval readlink -f $(which node))');
    expect(out).toMatch(/bluetoothd/);
    // Still serving a while later.
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(daemon.url)).status).toBe(200);
    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);
    // The check below can see noble when it is loaded: here it was (and failed to open an adapter).
    expect(JSON.parse(readFileSync(report, 'utf8')).some((p: string) => /noble/.test(p))).toBe(true);
  }, 30_000);

  it('scan exits with 1 and says what is missing', async () => {
    const dir = scratch();
    const { code, stdout, stderr } = await runCliResult(['scan', '--seconds', '0.2'], { env: noAdapterEnv(dir) });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/tableside: Bluetooth is not available: no Bluetooth adapter/);
    expect(stderr).toMatch(/To fix it:/);
  });
});

describe('tableside scan on the virtual adapter', () => {
  it('lists the straps nearby, strongest first, with signal and battery', async () => {
    const dir = scratch();
    const config = {
      straps: [
        { name: 'Polar H10 1A2B3C4D', address: 'c3:33:33:33:33:33', rssi: -80, batteryPct: 41 },
        { name: 'Polar H10 8AA87D20', rssi: -58, batteryPct: 87 },
      ],
    };
    const { code, stdout } = await runCliResult(['scan', '--seconds', '0.3'], { env: virtualH10Env(config, dir) });
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^name\s+id\s+signal\s+battery$/);
    expect(lines[1]).toMatch(/^Polar H10 8AA87D20\s+8AA87D20\s+-58 dBm\s+87 %$/);
    expect(lines[2]).toMatch(/^Polar H10 1A2B3C4D\s+1A2B3C4D\s+-80 dBm\s+41 %$/);
    expect(stdout).toContain('tableside start --device 8AA87D20');

    const json = await runCliResult(['scan', '--seconds', '0.3', '--no-battery', '--json'], {
      env: virtualH10Env(config, dir),
    });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      { name: 'Polar H10 8AA87D20', id: '8AA87D20', address: 'ec:ea:02:85:d9:7a', rssi: -58 },
      { name: 'Polar H10 1A2B3C4D', id: '1A2B3C4D', address: 'c3:33:33:33:33:33', rssi: -80 },
    ]);
  }, 30_000);

  it('says "no straps found" and exits with 0 when none advertises', async () => {
    const dir = scratch();
    const { code, stdout } = await runCliResult(['scan', '--seconds', '0.3'], {
      env: virtualH10Env({ strap: { advertising: false } }, dir),
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^no straps found/);
  });
});

describe('replay and simulate never load noble (the CLI entry, as a process)', () => {
  it.each([
    ['simulate', ['simulate', '--duration', '3', '--speed', 'max', '--exit']],
    ['replay', ['replay', 'recordings/pyhrv_nni_short_5min.txt', '--speed', 'max', '--exit']],
  ])('%s', async (_name, args) => {
    const dir = scratch();
    const report = join(dir, 'modules.json');
    const { code } = await runCliResult([...args, '--db', join(dir, 't.db'), '--port', '0'], {
      env: noAdapterEnv(dir, { NODE_OPTIONS: `--require ${REPORT_MODULES}`, TABLESIDE_LOADED_MODULES_REPORT: report }),
    });
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(report, 'utf8'))).toEqual([]);
  });
});
