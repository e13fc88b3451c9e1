// The address a request is charged to (per-address caps, poll budgets, logs). Only from peers inside
// --trust-proxy are the PROXY protocol header (HAProxy `send-proxy-v2`, parsed by uWS itself) and
// X-Forwarded-For / Forwarded believed: the client is the nearest hop that is not a trusted proxy, read
// from the right, so a client cannot pick its own address by sending either.
import { BlockList, isIP } from 'node:net';

/** `a.b.c.d` for `::ffff:a.b.c.d`, the address itself otherwise (uWS reports both forms). */
function plain(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** Parses `10.0.0.0/8`, `127.0.0.1`, `fd00::/8`; throws with the offending entry. */
export function parseCidrList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const raw of entries) {
    const [address = '', prefixText] = raw.trim().split('/');
    const family = isIP(address);
    if (family === 0) throw new RangeError(`"${raw}" is not an IP address or CIDR block`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new RangeError(`"${raw}" has a bad prefix length`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** The hops named by `Forwarded: for=…` (RFC 7239), in order; unknown or obfuscated ones as ''. */
function forwardedFor(header: string): string[] {
  const hops: string[] = [];
  for (const element of header.split(',')) {
    const m = /(?:^|;)\s*for\s*=\s*("?)([^;,"]*)\1/i.exec(element);
    if (!m) continue;
    let v = m[2]!.trim();
    if (v.startsWith('[')) v = v.slice(1, v.indexOf(']'));
    else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(v)) v = v.slice(0, v.lastIndexOf(':'));
    hops.push(isIP(v) !== 0 ? v : '');
  }
  return hops;
}

export class TrustedProxies {
  constructor(private readonly list: BlockList) {}

  private trusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client address of a request that reached us from `peer`. `xff` and `forwarded` are the raw
   * header values ('' when absent); `Forwarded` wins when both are present. `proxied` is the source
   * address a PROXY protocol header on the connection named ('' when none): the balancer's own peer,
   * one hop nearer the client than any header.
   */
  clientAddress(peer: string, xff: string, forwarded: string, proxied = ''): string {
    let from = plain(peer);
    if (!this.trusted(from)) return from;
    if (proxied !== '' && isIP(plain(proxied)) !== 0) {
      from = plain(proxied);
      if (!this.trusted(from)) return from;
    }
    const hops = forwarded !== '' ? forwardedFor(forwarded) : xff.split(',').map((h) => h.trim());
    let client = from;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = plain(hops[i]!);
      // An unparseable hop ends the chain: everything left of it is the client's to invent.
      if (isIP(hop) === 0) break;
      client = hop;
      if (!this.trusted(hop)) break;
    }
    return client;
  }
}
