// npm run bench:compression — codecs for replication frames, on batches shaped like the real ones:
// ratio (wire ÷ raw JSON) and compress + decompress throughput, for brotli at quality 4 (the codec
// in use), brotli at its default quality 11, gzip level 6, and zstd level 3 (zstd-napi), same run.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi';
import { updateBenchmarksFile } from './lib/benchmarks-md.ts';
import { loadAverage1m, machineInfo } from './lib/results.ts';
import { round } from './lib/stats.ts';
import { ycsbRecord } from './lib/ycsb.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Codec {
  readonly name: string;
  compress(b: Buffer): Buffer;
  decompress(b: Buffer): Buffer;
}

const codecs: Codec[] = [
  {
    name: 'brotli q4 (in use)',
    compress: (b) =>
      brotliCompressSync(b, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: b.length },
      }),
    decompress: (b) => brotliDecompressSync(b),
  },
  {
    name: 'brotli q11 (default)',
    compress: (b) => brotliCompressSync(b),
    decompress: (b) => brotliDecompressSync(b),
  },
  { name: 'gzip 6', compress: (b) => gzipSync(b), decompress: (b) => gunzipSync(b) },
  { name: 'zstd 3', compress: (b) => zstdCompress(b), decompress: (b) => zstdDecompress(b) },
];

/** A seeded PRNG so every codec sees the same bytes. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ana', 'Bo', 'Chen', 'Dara', 'Eli', 'Farah', 'Goran', 'Hana', 'Ivo', 'Jun'];
const CITIES = ['Lisbon', 'Tokyo', 'Austin', 'Dublin', 'Seoul', 'Lagos', 'Lima', 'Oslo'];

/** A batch as the source sends it: log entries with collection, key, version, origin, seq and value. */
function batch(kind: 'ycsb' | 'profiles', size: number, random: () => number): Buffer {
  const entries = Array.from({ length: size }, (_, i) => {
    const value =
      kind === 'ycsb'
        ? ycsbRecord(random)
        : {
            name: `${FIRST[Math.floor(random() * FIRST.length)]} ${Math.floor(random() * 1e6)}`,
            email: `user${Math.floor(random() * 1e6)}@example.com`,
            city: CITIES[Math.floor(random() * CITIES.length)]!,
            plan: random() < 0.2 ? 'pro' : 'free',
            logins: Math.floor(random() * 500),
            createdAt: new Date(1.7e12 + Math.floor(random() * 3e10)).toISOString(),
            tags: ['beta', 'newsletter'].filter(() => random() < 0.5),
          };
    const wall = (1.795e12 + i * 3).toString(16).padStart(12, '0');
    return {
      collection: 'profiles',
      key: `user${Math.floor(random() * 20000)}`,
      value,
      version: `${wall}0000@us-east-1`,
      origin: 'us-east-1',
      originSeq: 1000 + i,
      position: 5000 + i,
    };
  });
  return Buffer.from(JSON.stringify({ from: 'us-east-1', entries, senderHead: 6000 }));
}

function measure(codec: Codec, inputs: readonly Buffer[]) {
  let raw = 0;
  let wire = 0;
  let cMs = 0;
  let dMs = 0;
  for (let round = 0; round < 3; round++) {
    for (const input of inputs) {
      const t0 = performance.now();
      const packed = codec.compress(input);
      const t1 = performance.now();
      const back = codec.decompress(packed);
      const t2 = performance.now();
      if (back.length !== input.length) throw new Error(`${codec.name} did not round-trip`);
      if (round > 0) {
        raw += input.length;
        wire += packed.length;
        cMs += t1 - t0;
        dMs += t2 - t1;
      }
    }
  }
  return {
    ratio: round(wire / raw, 3),
    compressMBps: round(raw / 1e6 / (cMs / 1000), 0),
    decompressMBps: round(raw / 1e6 / (dMs / 1000), 0),
  };
}

const loadAtStart = loadAverage1m();
const rows: Array<{
  payload: string;
  batch: number;
  codec: string;
  ratio: number;
  compressMBps: number;
  decompressMBps: number;
}> = [];
for (const kind of ['ycsb', 'profiles'] as const) {
  for (const size of [1, 20, 500]) {
    const random = mulberry32(42);
    const inputs = Array.from({ length: Math.max(4, Math.floor(2000 / size)) }, () =>
      batch(kind, size, random),
    );
    for (const codec of codecs) {
      const r = measure(codec, inputs);
      rows.push({ payload: kind, batch: size, codec: codec.name, ...r });
      console.log(
        `${kind.padEnd(8)} batch ${String(size).padStart(3)}  ${codec.name.padEnd(20)} ratio ${r.ratio}  compress ${r.compressMBps} MB/s  decompress ${r.decompressMBps} MB/s`,
      );
    }
  }
}

const date = new Date().toISOString();
const machine = machineInfo(loadAtStart);
const file = `bench/results/compression-${date.replace(/[:.]/g, '-')}.json`;
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, file), JSON.stringify({ date, machine, rows }, null, 2) + '\n');
const section = [
  '## bench:compression',
  '',
  'Codecs for replication frames on batches shaped like the real ones (log entries as JSON): YCSB-like records (10 fields of 100 random alphanumerics, whose entropy caps any codec near 0.74 of the field bytes) and realistic profile documents. Ratio is wire ÷ raw JSON; throughput is MB of raw JSON per second on one core, compress and decompress, all codecs in the same run.',
  '',
  `- **Run:** ${date}; **Machine:** ${machine.cpuModel} × ${machine.cpuCount}, Node ${machine.node}; load average ${machine.loadAverage1m.atStart} → ${machine.loadAverage1m.atEnd}`,
  '',
  '| payload | changes per batch | codec | wire ÷ raw | compress MB/s | decompress MB/s |',
  '| --- | ---: | --- | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.payload} | ${r.batch} | ${r.codec} | ${r.ratio} | ${r.compressMBps} | ${r.decompressMBps} |`,
  ),
  '',
  `Full figures: \`${file}\`.`,
].join('\n');
updateBenchmarksFile(join(ROOT, 'BENCHMARKS.md'), '## bench:compression', section);
