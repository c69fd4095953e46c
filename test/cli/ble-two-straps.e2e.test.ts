/**
 * Two straps at once — the client's and the therapist's — on one adapter, through the real CLI, the real noble stack
 * and a real database: `tableside start --device A --therapist B`. Each strap keeps a journal of what it sent; each
 * stream's stored session must hold exactly its own strap's RR values, across a link loss of one of them, and each
 * viewer must see only the strap it follows.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exited, openViewer, runCli, startDaemon, tempDir, waitFor } from '../helpers/daemon-process.js';
import { knownBeats } from '../helpers/viewer-knowledge.js';
import { sentRrMs, strapPlayed, virtualH10Env } from '../helpers/virtual-strap.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

type Message = Record<string, unknown>;

/** The beats a viewer knows: its hello's backfill and pieces, then the live ones. */
function beatsSeen(messages: Message[]): number[] {
  return knownBeats(messages).rrMs;
}

describe('tableside start with the client and the therapist each wearing a strap', () => {
  it('records each strap as its own stream, exactly as each strap sent it, across a link loss', async () => {
    const dir = tempDir('tableside-two-straps-');
    cleanups.push(dir.remove);
    const db = join(dir.path, 't.db');
    const clientJournal = join(dir.path, 'client.jsonl');
    const therapistJournal = join(dir.path, 'therapist.jsonl');
    const config = {
      speed: 20,
      straps: [
        {
          name: 'Polar H10 8AA87D20',
          recording: 'recordings/bartels_rest_rri.txt',
          beats: 120,
          whenRrEnd: 'stop',
          journal: clientJournal,
        },
        {
          name: 'Polar H10 1A2B3C4D',
          address: 'c3:33:33:33:33:33',
          recording: 'recordings/pyhrv_nni_short_5min.txt',
          beats: 120,
          whenRrEnd: 'stop',
          journal: therapistJournal,
        },
      ],
      // The therapist's strap loses its link once; the client's goes on.
      script: [{ atMs: 3000, strap: 1, do: 'dropLink', reason: 0x08 }],
    };
    const daemon = await startDaemon(
      ['start', '--db', db, '--device', '8AA87D20', '--therapist', '1A2B3C4D'],
      virtualH10Env(config, dir.path),
    );
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const client = await openViewer(daemon.url);
    const therapist = await openViewer(daemon.url, 'therapist');
    cleanups.push(
      () => client.ws.terminate(),
      () => therapist.ws.terminate(),
    );
    expect(client.messages[0]).toMatchObject({ type: 'hello', stream: 'client' });
    expect(therapist.messages[0]).toMatchObject({ type: 'hello', stream: 'therapist' });

    await waitFor(
      () =>
        strapPlayed(clientJournal) &&
        strapPlayed(therapistJournal) &&
        beatsSeen(client.messages).length >= sentRrMs(clientJournal).length &&
        beatsSeen(therapist.messages).length >= sentRrMs(therapistJournal).length,
      40_000,
      `both straps to play their sequence; output:\n${daemon.output()}`,
    );

    // Each viewer saw its own strap, exactly.
    expect(beatsSeen(client.messages)).toEqual(sentRrMs(clientJournal));
    expect(beatsSeen(therapist.messages)).toEqual(sentRrMs(therapistJournal));
    const states = (messages: Message[]) =>
      messages.filter((m) => m.type === 'status').map((m) => (m.status as { state: string }).state);
    expect(states(therapist.messages)).toContain('disconnected');
    expect(states(client.messages)).not.toContain('disconnected');
    const devices = (messages: Message[]) =>
      new Set(
        messages
          .filter((m) => m.type === 'status')
          .map((m) => (m.status as { device?: { id: string } }).device?.id)
          .filter(Boolean),
      );
    expect([...devices(client.messages)]).toEqual(['8AA87D20']);
    expect([...devices(therapist.messages)]).toEqual(['1A2B3C4D']);

    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);
    const sessions = JSON.parse(await runCli(['sessions', '--json', '--db', db])) as {
      id: number;
      stream: string;
      groupId: number | null;
      status: string;
    }[];
    const main = sessions.find((s) => s.stream === 'client');
    const companion = sessions.find((s) => s.stream === 'therapist');
    expect(main).toMatchObject({ groupId: null, status: 'ended' });
    expect(companion).toMatchObject({ groupId: main?.id, status: 'ended' });
    // The plain listing says whose strap a companion session is.
    const listing = await runCli(['sessions', '--db', db]);
    expect(listing).toMatch(
      new RegExp(`^\\s*${companion?.id} .* ended\\s+therapist's strap, with session ${main?.id}$`, 'm'),
    );
    const exported = async (id: number) =>
      (await runCli(['export', String(id), '--format', 'rr', '--db', db])).trim().split('\n').map(Number);
    expect(await exported(main?.id as number)).toEqual(sentRrMs(clientJournal));
    expect(await exported(companion?.id as number)).toEqual(sentRrMs(therapistJournal));
  }, 60_000);

  it("lets the view list the straps in range and add the therapist's strap while the client's streams", async () => {
    const dir = tempDir('tableside-two-straps-');
    cleanups.push(dir.remove);
    const db = join(dir.path, 't.db');
    const config = {
      speed: 5,
      straps: [
        { name: 'Polar H10 8AA87D20', rssi: -50 },
        { name: 'Polar H10 1A2B3C4D', address: 'c3:33:33:33:33:33', rssi: -70 },
      ],
    };
    const daemon = await startDaemon(['start', '--db', db, '--device', '8AA87D20'], virtualH10Env(config, dir.path));
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const api = async (method: string, path: string, body?: object) => {
      const response = await fetch(new URL(path, daemon.url), {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const sources = await api('GET', '/api/sources');
    expect(sources.json).toMatchObject({ bluetooth: true, simulated: true });

    // The client's strap is connected (an H10 stops advertising then); the other one is in range.
    const until = Date.now() + 10_000;
    let live = false;
    while (!live && Date.now() < until) {
      const health = await api('GET', '/api/health');
      live = (health.json.status as { state?: string } | null)?.state === 'live';
      if (!live) await new Promise((r) => setTimeout(r, 100));
    }
    expect(live).toBe(true);
    const scan = await api('POST', '/api/straps/scan', { seconds: 1 });
    expect(scan.status).toBe(200);
    expect((scan.json.straps as { id: string }[]).map((s) => s.id)).toEqual(['1A2B3C4D']);

    const added = await api('PUT', '/api/streams/therapist/source', { kind: 'ble', deviceId: '1A2B3C4D' });
    expect(added).toMatchObject({ status: 200, json: { id: 'therapist', kind: 'ble', demo: false } });
    const therapist = await openViewer(daemon.url, 'therapist');
    cleanups.push(() => therapist.ws.terminate());
    await waitFor(
      () =>
        therapist.messages.some(
          (m) =>
            m.type === 'status' && (m.status as { state: string; device?: { id: string } }).device?.id === '1A2B3C4D',
        ),
      15_000,
      "the therapist's strap to connect",
    );
    // The client's strap went on streaming: the view still follows it.
    const health = await api('GET', '/api/health');
    expect(health.json.status).toMatchObject({ state: 'live', device: { id: '8AA87D20' } });
    expect((health.json.streams as { id: string; state: string }[]).map((s) => s.id)).toEqual(['client', 'therapist']);
  }, 60_000);
});
