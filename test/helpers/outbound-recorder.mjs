// Preloaded with `node --import` into a tableside process: writes one JSON line per outbound network attempt to the
// file named by TABLESIDE_TEST_OUTBOUND_LOG, and a first line saying it was loaded (so that an empty record cannot
// mean "never ran"). Outbound: a TCP or Unix socket connect (http, https, fetch and WebSocket clients all end there),
// a UDP send, a DNS query. Serving viewers (listen, accept) is inbound and not recorded.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The CommonJS objects themselves, so that every importer sees the wrapped functions.
const net = require('node:net');
const dgram = require('node:dgram');
const dns = require('node:dns');

const file = process.env.TABLESIDE_TEST_OUTBOUND_LOG;
if (!file) throw new Error('TABLESIDE_TEST_OUTBOUND_LOG is not set');

function record(what, args) {
  const target = args.map((a) => (typeof a === 'function' ? 'fn' : a)).slice(0, 3);
  let text;
  try {
    text = JSON.stringify({ what, target });
  } catch {
    text = JSON.stringify({ what, target: String(target) });
  }
  appendFileSync(file, `${text}\n`);
}

function wrap(owner, name, what) {
  const original = owner[name];
  owner[name] = function (...args) {
    record(what, args);
    return original.apply(this, args);
  };
}

wrap(net.Socket.prototype, 'connect', 'tcp connect');
wrap(dgram.Socket.prototype, 'send', 'udp send');
wrap(dgram.Socket.prototype, 'connect', 'udp connect');
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'reverse']) {
  wrap(dns, name, `dns ${name}`);
  wrap(dns.promises, name, `dns ${name}`);
}

appendFileSync(file, `${JSON.stringify({ what: 'loaded' })}\n`);
