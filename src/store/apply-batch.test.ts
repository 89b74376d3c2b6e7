// applyRemoteBatch (one transaction) gives exactly what successive applyRemote calls give: same results,
// same documents, same log, same applied vector — on every adapter, for random batches (property).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { applyRemoteAll } from './apply-batch.ts';
import { C, change } from './conformance-support.ts';
import { createMemoryStore } from './memory-store.ts';
import { createSqliteStore } from './sqlite-store.ts';
import type { Change, Precondition, Store } from './store.ts';

const ORIGINS = ['eu-west-1', 'ap-northeast-1'];

/** Changes with seqs that mostly follow on, sometimes repeat (duplicates) or skip (gaps). */
const batchArb = fc
  .array(
    fc.record({
      origin: fc.constantFrom(...ORIGINS),
      step: fc.constantFrom(1, 1, 1, 1, 0, 2),
      key: fc.constantFrom('a', 'b', 'c'),
      clock: fc.integer({ min: 1, max: 50 }),
      deleted: fc.boolean(),
    }),
    { maxLength: 30 },
  )
  .map((specs) => {
    const seq: Record<string, number> = {};
    return specs.map((s): Change => {
      seq[s.origin] = Math.max(1, (seq[s.origin] ?? 0) + s.step);
      return change(s.origin, seq[s.origin]!, s.key, s.deleted ? null : { clock: s.clock }, s.clock);
    });
  });

async function state(store: Store) {
  return {
    docs: await Promise.all(['a', 'b', 'c'].map((k) => store.get(C, k))),
    log: await store.readLog(0, 1000),
    applied: await store.appliedSeqs(),
  };
}

async function sequential(store: Store, changes: readonly Change[]) {
  const results = [];
  for (const c of changes) {
    const r = await store.applyRemote(c);
    results.push(r);
    if (r === 'gap') break;
  }
  return results;
}

test('applyRemoteBatch equals successive applyRemote calls, on SQLite and memory (property)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-batch-'));
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(batchArb, batchArb, async (first, second) => {
        for (const make of [() => createSqliteStore({ path: join(dir, `s${n++}.db`) }), createMemoryStore]) {
          const batched = make();
          const oneByOne = make();
          try {
            for (const changes of [first, second]) {
              assert.deepEqual(await applyRemoteAll(batched, changes), await sequential(oneByOne, changes));
            }
            assert.deepEqual(await state(batched), await state(oneByOne));
          } finally {
            await batched.close();
            await oneByOne.close();
          }
        }
      }),
      { numRuns: 60 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const writeArb = fc.array(
  fc.record({
    key: fc.constantFrom('a', 'b', 'c'),
    deleted: fc.boolean(),
    precondition: fc.constantFrom('none', 'absent', 'version-current', 'version-stale'),
  }),
  { maxLength: 25 },
);

test('writeLocalBatch equals successive writeLocal calls with the same versions (property)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-wbatch-'));
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(writeArb, async (specs) => {
        const batched = createSqliteStore({ path: join(dir, `b${n}.db`) });
        const oneByOne = createSqliteStore({ path: join(dir, `o${n++}.db`) });
        try {
          // Preconditions refer to the state before the batch, as a client would have read it.
          const writes = await Promise.all(
            specs.map(async (s) => {
              const current = await batched.get(C, s.key);
              const precondition: Precondition =
                s.precondition === 'version-current' && current
                  ? { kind: 'version', version: current.version }
                  : s.precondition === 'version-stale'
                    ? { kind: 'version', version: 'ffffffffffff0000@us-east-1' }
                    : s.precondition === 'absent'
                      ? { kind: 'absent' }
                      : { kind: 'none' };
              return {
                write: { collection: C, key: s.key, value: s.deleted ? null : { s: 1 }, origin: 'us-east-1' },
                precondition,
              };
            }),
          );
          let a = 100;
          let b = 100;
          const tickA = () => change('us-east-1', 1, 'x', null, ++a).version;
          const tickB = () => change('us-east-1', 1, 'x', null, ++b).version;
          const got = await batched.writeLocalBatch!(writes, tickA);
          const want = [];
          for (const w of writes)
            want.push(await oneByOne.writeLocal({ ...w.write, version: tickB() }, w.precondition));
          assert.deepEqual(got, want);
          assert.deepEqual(await state(batched), await state(oneByOne));
        } finally {
          await batched.close();
          await oneByOne.close();
        }
      }),
      { numRuns: 40 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
