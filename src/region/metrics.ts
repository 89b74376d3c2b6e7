// Prometheus metrics of one region node, in a registry of its own (no module-global state).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/store.ts';

export interface RegionMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly peerRtt: Gauge<'peer'>;
  readonly peerUp: Gauge<'peer'>;
}

export function createRegionMetrics(region: string, store: Store): RegionMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ region });
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'meridian_http_requests_total',
    help: 'HTTP requests served, by route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'meridian_http_request_duration_seconds',
    help: 'Time to serve an HTTP request.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const peerRtt = new Gauge({
    name: 'meridian_peer_rtt_seconds',
    help: 'Round-trip time to each peer region, measured through the replication path.',
    labelNames: ['peer'] as const,
    registers: [registry],
  });
  const peerUp = new Gauge({
    name: 'meridian_peer_up',
    help: '1 when the last probe of the peer succeeded, else 0.',
    labelNames: ['peer'] as const,
    registers: [registry],
  });
  const storeGauge = (name: string, help: string, pick: (s: Awaited<ReturnType<Store['stats']>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(pick(await store.stats()));
      },
    });
  storeGauge('meridian_store_documents', 'Live documents in this region.', (s) => s.documents);
  storeGauge('meridian_store_tombstones', 'Deleted documents kept as tombstones.', (s) => s.tombstones);
  storeGauge('meridian_store_log_entries', 'Entries in the replication log.', (s) => s.logEntries);
  // Counted from the ledger itself, read on from where the last scrape stopped: exact across restarts.
  let ledgerSeen = 0;
  new Counter({
    name: 'meridian_conflicts_total',
    help: 'Conflicts resolved in this region (the conflict ledger), by collection and rule.',
    labelNames: ['collection', 'rule'] as const,
    registers: [registry],
    async collect() {
      for (;;) {
        const page = await store.readConflicts({ after: ledgerSeen, limit: 1000 });
        for (const c of page) this.inc({ collection: c.collection, rule: c.rule });
        ledgerSeen = page.at(-1)?.id ?? ledgerSeen;
        if (page.length < 1000) return;
      }
    },
  });
  return { registry, httpRequests, httpDuration, peerRtt, peerUp };
}
