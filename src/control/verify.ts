// `meridian verify`: compares every region's data — digests first, then, for collections that differ,
// the keys of the differing buckets — and names each key whose version differs between regions.

import { request } from 'undici';
import { MeridianError } from '../core/errors.ts';

interface Digest {
  count: number;
  digest: string;
  buckets: string[];
}

export interface KeyDifference {
  readonly collection: string;
  readonly key: string;
  /** The version each region holds, null where the key is absent (or deleted). */
  readonly versions: Readonly<Record<string, string | null>>;
}

export interface VerifyReport {
  readonly identical: boolean;
  readonly regions: readonly string[];
  readonly collections: Readonly<
    Record<string, { readonly counts: Readonly<Record<string, number>>; readonly identical: boolean }>
  >;
  readonly differences: readonly KeyDifference[];
}

async function getJson<T>(url: string): Promise<T> {
  let res;
  try {
    res = await request(url, { headersTimeout: 30_000, bodyTimeout: 60_000 });
  } catch (err) {
    throw new MeridianError(
      'unavailable',
      `${new URL(url).origin} does not answer (${(err as Error).message}): is the region up? see \`meridian status\``,
    );
  }
  if (res.statusCode !== 200)
    throw new MeridianError(
      'unavailable',
      `${url} answered HTTP ${res.statusCode}: ${await res.body.text()}`,
    );
  return (await res.body.json()) as T;
}

export async function verifyRegions(
  regions: ReadonlyArray<{ name: string; url: string }>,
): Promise<VerifyReport> {
  const digests = await Promise.all(
    regions.map(
      async (r) =>
        (await getJson<{ collections: Record<string, Digest> }>(`${r.url}/v1/admin/digest`)).collections,
    ),
  );
  const names = [...new Set(digests.flatMap((d) => Object.keys(d)))].sort();
  const collections: Record<string, { counts: Record<string, number>; identical: boolean }> = {};
  const differences: KeyDifference[] = [];
  for (const collection of names) {
    const per = digests.map((d) => d[collection]);
    const counts = Object.fromEntries(regions.map((r, i) => [r.name, per[i]?.count ?? 0]));
    const identical = per.every((d) => d !== undefined && d.digest === per[0]!.digest);
    collections[collection] = { counts, identical };
    if (identical) continue;
    const buckets =
      per[0]?.buckets.map((_, b) => b).filter((b) => per.some((d) => d?.buckets[b] !== per[0]?.buckets[b])) ??
      [];
    for (const bucket of buckets) {
      const keysPerRegion = await Promise.all(
        regions.map(
          async (r) =>
            (
              await getJson<{ keys: Record<string, string> }>(
                `${r.url}/v1/admin/digest?collection=${encodeURIComponent(collection)}&bucket=${bucket}`,
              )
            ).keys,
        ),
      );
      const keys = [...new Set(keysPerRegion.flatMap((k) => Object.keys(k)))].sort();
      for (const key of keys) {
        const versions = Object.fromEntries(regions.map((r, i) => [r.name, keysPerRegion[i]![key] ?? null]));
        if (new Set(Object.values(versions)).size > 1) differences.push({ collection, key, versions });
      }
    }
  }
  const identical = Object.values(collections).every((c) => c.identical);
  return { identical, regions: regions.map((r) => r.name), collections, differences };
}

export function formatVerifyReport(report: VerifyReport, maxKeys = 20): string {
  const lines: string[] = [];
  for (const [name, c] of Object.entries(report.collections)) {
    const counts = Object.entries(c.counts)
      .map(([r, n]) => `${r}=${n}`)
      .join(' ');
    lines.push(`${name}: ${c.identical ? 'identical' : 'DIFFERENT'} (${counts})`);
  }
  for (const d of report.differences.slice(0, maxKeys)) {
    const versions = Object.entries(d.versions)
      .map(([r, v]) => `${r}=${v ?? 'absent'}`)
      .join(' ');
    lines.push(`  ${d.collection}/${d.key}: ${versions}`);
  }
  if (report.differences.length > maxKeys)
    lines.push(`  ... and ${report.differences.length - maxKeys} more keys (--json lists all)`);
  lines.push(
    report.identical
      ? `all ${report.regions.length} regions are identical`
      : `regions differ: ${report.differences.length} keys`,
  );
  return lines.join('\n');
}
