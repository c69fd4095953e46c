/**
 * This machine's names and addresses, as the daemon needs them: whether `--host` keeps it to this machine (then no
 * access token is needed), which addresses another device on the network can reach it at (the pairing URL), and
 * which names a request may carry in its `Host` header (the DNS-rebinding check). Pure functions over
 * `os.networkInterfaces()` and `os.hostname()`, which callers may pass in.
 */
import { isIP } from 'node:net';
import { networkInterfaces, hostname as osHostname } from 'node:os';

export type Interfaces = ReturnType<typeof networkInterfaces>;

/** `--host` values that listen on every interface. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]' || host === '';
}

/** 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = unbracket(host).toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * The addresses another device on the network can open the view at, best first: private IPv4 networks (home and
 * clinic routers hand these out: 192.168/16, then 10/8, then 172.16/12), then other IPv4, then global IPv6.
 * Container and VM bridges (docker0, virbr0, …) and link-local addresses are left out: a tablet cannot reach them.
 */
export function lanAddresses(interfaces: Interfaces = networkInterfaces()): string[] {
  const found: { address: string; rank: number }[] = [];
  for (const [name, entries] of Object.entries(interfaces)) {
    if (VIRTUAL_INTERFACE.test(name)) continue;
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      const rank = addressRank(entry.address, entry.family);
      if (rank !== undefined) found.push({ address: entry.address, rank });
    }
  }
  found.sort((a, b) => a.rank - b.rank);
  return [...new Set(found.map((f) => f.address))];
}

/** Interfaces of containers, VMs and VPN tunnels, by their usual names on Linux and macOS. */
const VIRTUAL_INTERFACE = /^(docker|br-|veth|virbr|vmnet|vboxnet|lxc|lxd|cni|flannel|podman|tun|tap|utun|wg|zt)/i;

function addressRank(address: string, family: string | number): number | undefined {
  if (family === 'IPv4' || family === 4) {
    if (address.startsWith('169.254.')) return undefined;
    if (address.startsWith('192.168.')) return 0;
    if (address.startsWith('10.')) return 1;
    if (/^172\.(1[6-9]|2\d|3[01])\./.test(address)) return 2;
    return 3;
  }
  const a = address.toLowerCase();
  if (a.startsWith('fe80:') || a === '::1') return undefined;
  return 4;
}

/**
 * The names (not addresses) a request's `Host` may carry: `localhost`, this machine's name and its `.local` name
 * (mDNS, as macOS and most Linux desktops announce it), and the `--host` value when it is a name.
 */
export function ownHostNames(listenHost?: string, hostname: string = osHostname()): string[] {
  const names = new Set<string>(['localhost']);
  const name = hostname.trim().toLowerCase().replace(/\.$/, '');
  if (name !== '') {
    names.add(name);
    const short = name.split('.')[0] as string;
    names.add(`${short}.local`);
    names.add(short);
  }
  if (listenHost !== undefined && !isWildcardHost(listenHost) && isIP(unbracket(listenHost)) === 0) {
    names.add(listenHost.toLowerCase());
  }
  return [...names];
}

/** `[::1]` → `::1`; anything else as it is. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** An address or name as it appears in a URL: IPv6 in brackets. */
export function urlHost(host: string): string {
  const h = unbracket(host);
  return isIP(h) === 6 ? `[${h}]` : h;
}
