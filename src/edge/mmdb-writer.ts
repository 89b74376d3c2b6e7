// A minimal MaxMind DB (MMDB v2) writer for IPv4 networks, following the published "MaxMind DB File Format
// Specification" 2.0: a binary search tree of 24-bit records, a 16-byte separator, the data section, and a
// metadata map after "\xAB\xCD\xEFMaxMind.com". Enough for the simulator's geolocation database; read back
// with the `maxmind` package like any GeoLite2 file.

import { parseCidr } from '../core/ip-trust.ts';

export type MmdbValue =
  string | number | boolean | readonly MmdbValue[] | { readonly [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** An IPv4 CIDR such as '198.18.3.0/24'. */
  readonly cidr: string;
  readonly data: MmdbValue;
}

export interface MmdbOptions {
  readonly databaseType: string;
  readonly description: string;
  /** Seconds since the epoch; passed in so the same input gives the same bytes. */
  readonly buildEpoch: number;
}

const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com')]);
const RECORD_BYTES = 3; // record_size 24

interface TrieNode {
  children: [TrieNode | number | null, TrieNode | number | null];
}

export function writeMmdb(networks: readonly MmdbNetwork[], options: MmdbOptions): Buffer {
  const data: Buffer[] = [];
  let dataLength = 0;
  const root: TrieNode = { children: [null, null] };
  for (const network of networks) {
    const cidr = parseCidr(network.cidr);
    if (cidr === undefined || cidr.version !== 4 || cidr.prefix === 0) {
      throw new Error(`mmdb: expected an IPv4 CIDR with a prefix of 1..32, got ${network.cidr}`);
    }
    const encoded = encode(network.data);
    const offset = dataLength;
    data.push(encoded);
    dataLength += encoded.length;
    insert(root, cidr.base, cidr.prefix, offset);
  }

  // Number the nodes breadth-first; the root is node 0.
  const nodes: TrieNode[] = [root];
  for (let i = 0; i < nodes.length; i++) {
    for (const child of nodes[i]!.children)
      if (typeof child === 'object' && child !== null) nodes.push(child);
  }
  const index = new Map(nodes.map((n, i) => [n, i]));
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * RECORD_BYTES * 2);
  nodes.forEach((node, i) => {
    node.children.forEach((child, side) => {
      const value =
        child === null
          ? nodeCount // "no data"
          : typeof child === 'number'
            ? nodeCount + 16 + child // a pointer into the data section, past the separator
            : index.get(child)!;
      if (value >= 2 ** 24) throw new Error('mmdb: database too large for 24-bit records');
      tree.writeUIntBE(value, i * RECORD_BYTES * 2 + side * RECORD_BYTES, RECORD_BYTES);
    });
  });

  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 4,
    database_type: options.databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: options.buildEpoch,
    description: { en: options.description },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, METADATA_MARKER, metadata]);
}

function insert(root: TrieNode, base: bigint, prefix: number, offset: number): void {
  let node = root;
  for (let depth = 0; depth < prefix; depth++) {
    const bit = Number((base >> BigInt(31 - depth)) & 1n) as 0 | 1;
    if (depth === prefix - 1) {
      if (node.children[bit] !== null) throw new Error('mmdb: overlapping networks are not supported');
      node.children[bit] = offset;
      return;
    }
    const next = node.children[bit];
    if (typeof next === 'number') throw new Error('mmdb: overlapping networks are not supported');
    if (next === null) {
      const created: TrieNode = { children: [null, null] };
      node.children[bit] = created;
      node = created;
    } else node = next;
  }
}

// --- the data section's encoding --------------------------------------------------------------------

const TYPE = {
  string: 2,
  double: 3,
  uint16: 5,
  uint32: 6,
  map: 7,
  uint64: 9,
  array: 11,
  boolean: 14,
} as const;

export function encode(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(TYPE.string, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(TYPE.boolean, value ? 1 : 0);
  if (typeof value === 'number') {
    // Unsigned integers up to 32 bits as such; larger ones as doubles, which readers return as numbers
    // (uint64 comes back as a BigInt) and which are exact up to 2^53.
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) {
      const bytes = unsignedBytes(value);
      return Buffer.concat([control(value < 2 ** 16 ? TYPE.uint16 : TYPE.uint32, bytes.length), bytes]);
    }
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([control(TYPE.double, 8), bytes]);
  }
  if (Array.isArray(value)) {
    const items = value as readonly MmdbValue[];
    return Buffer.concat([control(TYPE.array, items.length), ...items.map(encode)]);
  }
  const entries = Object.entries(value as { readonly [key: string]: MmdbValue });
  return Buffer.concat([
    control(TYPE.map, entries.length),
    ...entries.flatMap(([k, v]) => [encode(k), encode(v)]),
  ]);
}

function unsignedBytes(value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes);
}

/** The control byte(s): type in the top 3 bits (extended types in a second byte), then the size. */
function control(type: number, size: number): Buffer {
  const head: number[] = [];
  let sizeBytes: number[] = [];
  let sizeBits: number;
  if (size < 29) sizeBits = size;
  else if (size < 285) [sizeBits, sizeBytes] = [29, [size - 29]];
  else if (size < 65_821) [sizeBits, sizeBytes] = [30, [(size - 285) >> 8, (size - 285) & 255]];
  else {
    const rest = size - 65_821;
    [sizeBits, sizeBytes] = [31, [(rest >> 16) & 255, (rest >> 8) & 255, rest & 255]];
  }
  if (type <= 7) head.push((type << 5) | sizeBits);
  else head.push(sizeBits, type - 7);
  return Buffer.from([...head, ...sizeBytes]);
}
