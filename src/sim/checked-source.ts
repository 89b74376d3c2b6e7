// Wraps a region's replication source to check, batch by batch, a promise every stream makes: the
// entries of each origin continue exactly where the puller is. A puller that needs an entry the log no
// longer holds must get a snapshot first (or the stream must end); a skipped seq is reported.

import type { ReplicationSource } from '../replication/replication-port.ts';

export function checkedSource(
  from: string,
  source: ReplicationSource,
  report: (violation: string) => void,
): ReplicationSource {
  return {
    async *serve(request, signal) {
      /** What the puller has once it applies everything sent so far. */
      const has = new Map(Object.entries(request.applied));
      for await (const batch of source.serve(request, signal)) {
        if (batch.snapshot?.last === true) {
          for (const [origin, seq] of Object.entries(batch.snapshot.applied)) {
            has.set(origin, Math.max(has.get(origin) ?? 0, seq));
          }
        }
        for (const entry of batch.entries) {
          const before = has.get(entry.origin) ?? 0;
          if (entry.originSeq > before + 1) {
            report(
              `truncation: ${from} sent ${request.region} ${entry.origin}#${entry.originSeq} when it had only up to #${before}, without a snapshot`,
            );
          }
          has.set(entry.origin, Math.max(before, entry.originSeq));
        }
        yield batch;
      }
    },
  };
}
