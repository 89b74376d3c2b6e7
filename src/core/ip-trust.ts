// The client's address behind proxies: walk x-forwarded-for from the right while each hop is a trusted proxy,
// so a forged header from an untrusted hop is ignored. Pure: IPv4/IPv6 parsing and CIDR matching by hand.

export interface IpAddress {
  readonly version: 4 | 6;
  readonly value: bigint;
}

export interface Cidr {
  readonly version: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4. Undefined if invalid. */
export function parseIp(text: string): IpAddress | undefined {
  const s = text.trim().replace(/%.*$/, '');
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIpv6(s);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { version: 4, value: v6 & 0xffffffffn };
  return { version: 6, value: v6 };
}

export function formatIp(ip: IpAddress): string {
  if (ip.version === 4) {
    const v = Number(ip.value);
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((ip.value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** 'a.b.c.d/n', 'x::/n', or a bare address (a /32 or /128). Undefined if invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, bits, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (ip === undefined) return undefined;
  const max = ip.version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { version: ip.version, base: ip.value & mask(ip.version, prefix), prefix };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.version === ip.version && (ip.value & mask(ip.version, cidr.prefix)) === cidr.base;
}

export interface ClientAddress {
  /** The client as far as trusted proxies vouch for it. */
  readonly ip: string;
  /** How many x-forwarded-for entries were believed. */
  readonly hopsTrusted: number;
  /** Why the header was not (fully) believed, or null. */
  readonly ignored: string | null;
}

/**
 * Starts at the TCP peer; while the current address is a trusted proxy, steps left to the address it says
 * it received the request from. The first untrusted address is the client (the leftmost if all are trusted).
 * As in nginx's real_ip_recursive and Express's `trust proxy` with a list.
 */
export function resolveClientAddress(
  peer: string,
  forwardedFor: string | undefined,
  trusted: readonly Cidr[],
): ClientAddress {
  const peerIp = parseIp(peer);
  const current = peerIp === undefined ? peer : formatIp(peerIp);
  if (forwardedFor === undefined || forwardedFor.trim() === '')
    return { ip: current, hopsTrusted: 0, ignored: null };
  if (peerIp === undefined || !isTrusted(peerIp, trusted)) {
    return { ip: current, hopsTrusted: 0, ignored: `x-forwarded-for from untrusted peer ${current} ignored` };
  }
  const hops = forwardedFor.split(',').map((h) => h.trim());
  let ip = current;
  let believed = 0;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseIp(hops[i]!);
    if (hop === undefined) {
      return {
        ip,
        hopsTrusted: believed,
        ignored: `invalid x-forwarded-for entry ${JSON.stringify(hops[i])}`,
      };
    }
    ip = formatIp(hop);
    believed++;
    if (!isTrusted(hop, trusted)) break;
  }
  return { ip, hopsTrusted: believed, ignored: null };
}

function isTrusted(ip: IpAddress, trusted: readonly Cidr[]): boolean {
  return trusted.some((c) => cidrContains(c, ip));
}

function mask(version: 4 | 6, prefix: number): bigint {
  const bits = version === 4 ? 32n : 128n;
  const all = (1n << bits) - 1n;
  return prefix === 0 ? 0n : (all >> (bits - BigInt(prefix))) << (bits - BigInt(prefix));
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return undefined;
    value = (value << 8n) | BigInt(p);
  }
  return value;
}

function parseIpv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length < 2) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): bigint[] | undefined => {
    if (part === '') return [];
    const out: bigint[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(BigInt(`0x${piece}`));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) return undefined;
  const all = [...head, ...Array<bigint>(halves.length === 2 ? fill : 0).fill(0n), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}
