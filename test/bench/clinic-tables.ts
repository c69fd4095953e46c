/**
 * Several tables in one process, for the clinic bench (./clinic.ts forks this file): each a real daemon (its own
 * SQLite file, a simulated strap in real time, an automatic session) with the real MQTT outlet publishing under its
 * own table name. One process per table would be 50 Node processes on two cores; a clinic's tables each have a
 * machine of their own, so what is measured here is the broker and the overview, not the tables' CPU.
 *
 * argv: BROKER_URL DIR FIRST COUNT — tables bench-FIRST … bench-(FIRST+COUNT-1), seeds FIRST….
 * Sends `{ type: 'started' }` over IPC once every table has started; stops (SIGTERM) by closing the outlets.
 */
import pino from 'pino';
import { Daemon } from '../../src/daemon/daemon.js';
import { MqttOutlet } from '../../src/outlets/mqtt.js';
import { mqttSettings } from '../../src/outlets/mqtt-settings.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { SessionStore } from '../../src/store/session-store.js';

const [url, dir, firstText, countText] = process.argv.slice(2);
const first = Number(firstText);
const count = Number(countText);
const log = pino({ level: 'warn' });
const tables: { daemon: Daemon; outlet: MqttOutlet; store: SessionStore }[] = [];
for (let i = first; i < first + count; i++) {
  const store = SessionStore.open(`${dir}/bench-${i}.db`);
  const daemon = new Daemon({
    store,
    source: simulatedSource({ seed: i, speed: 1 }),
    log,
    demo: true,
    autoSession: { clientLabel: 'bench', therapistNote: '' },
  });
  const outlet = new MqttOutlet(
    mqttSettings({ url: url as string, table: `bench-${i}`, env: {}, hostname: 'bench' }),
    daemon,
    log,
  );
  daemon.start();
  tables.push({ daemon, outlet, store });
}
process.send?.({ type: 'started' });
process.once('SIGTERM', async () => {
  for (const t of tables) t.daemon.stop();
  await Promise.all(tables.map((t) => t.outlet.close()));
  for (const t of tables) t.store.close();
  process.exit(0);
});
