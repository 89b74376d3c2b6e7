import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatVersion } from '../core/version.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/store.ts';
import { checkInvariants, type AckedWrite } from './sim-invariants.ts';

const v = (wall: number, region: string) => formatVersion({ wall, counter: 0 }, region);
const write = (origin: string, originSeq: number, key: string, wall: number, n: number): AckedWrite => ({
  origin,
  originSeq,
  collection: 'docs',
  key,
  version: v(wall, origin),
  value: { n },
});

const A1 = write('a', 1, 'k', 10, 1);
const B1 = write('b', 1, 'k', 20, 2);

async function region(name: string, changes: AckedWrite[]): Promise<{ name: string; store: Store }> {
  const store = createMemoryStore();
  for (const c of changes) {
    if (c.origin === name) await store.writeLocal({ ...c }, { kind: 'none' });
    else await store.applyRemote(c);
  }
  return { name, store };
}

const check = async (regions: { name: string; store: Store }[], acked = [A1, B1]) =>
  checkInvariants({ regions, acked, collection: 'docs', keys: ['k', 'other'] });

test('a correct end state has no violations', async () => {
  assert.deepEqual(await check([await region('a', [A1, B1]), await region('b', [B1, A1])]), []);
});

test('a region missing a change is reported as divergence, a lost write and exactly-once', async () => {
  const violations = await check([await region('a', [A1]), await region('b', [B1, A1])]);
  assert.ok(violations.some((x) => x.startsWith('convergence: docs/k differs')));
  assert.ok(violations.some((x) => x.startsWith('lost write: a holds docs/k')));
  assert.ok(violations.includes('exactly-once: a applied b up to #0, but b acknowledged 1 writes'));
});

test('regions that agree on the wrong version still lose a write', async () => {
  const wrong = write('b', 1, 'k', 5, 2);
  const violations = await check([await region('a', [A1, wrong]), await region('b', [wrong, A1])]);
  assert.ok(violations.some((x) => x.startsWith('lost write: a holds docs/k as ' + v(10, 'a'))));
  assert.ok(violations.some((x) => x.includes('exactly-once: a logs b#1 at')));
  assert.ok(!violations.some((x) => x.startsWith('convergence')));
});

test('a log out of origin order is reported', async () => {
  const a2 = write('a', 2, 'other', 30, 3);
  // A store that logs a#2 before a#1 (the real stores refuse this: it stands in for a broken one).
  const broken = await region('b', [B1]);
  const log = [
    { ...a2, position: 2 },
    { ...A1, position: 3 },
  ];
  const store: Store = {
    ...broken.store,
    readLog: async () => [...(await broken.store.readLog(0, 10)), ...log],
  };
  const violations = await check([{ name: 'b', store }], [A1, a2, B1]);
  assert.ok(violations.includes('order: b logs a#2 right after a#0 (position 2)'), violations.join('\n'));
});
