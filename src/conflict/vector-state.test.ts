import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeridianError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import {
  contextAhead,
  decodeContext,
  decodeState,
  emptyState,
  encodeContext,
  isVectorState,
  MAX_REPLICAS,
  merge,
  mergeReport,
  read,
  write,
  type VectorState,
} from './vector-state.ts';

const EU = 'eu-west-1';
const US = 'us-east-1';

/** A client round trip: read at one state, send the context back through the header codec. */
const contextOf = (state: VectorState) => decodeContext(encodeContext(read(state).context));
const values = (state: VectorState) => read(state).siblings.map((s) => s.value);

function failsWith(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => isMeridianError(err) && err.code === code && message.test(err.message));
}

test('a first write gets dot (replica, 1); a read returns it with the context to send back', () => {
  const s = write(undefined, undefined, { qty: 1 }, EU);
  assert.deepEqual(s, { dvv: 1, vv: { [EU]: 1 }, siblings: [{ dot: [EU, 1], value: { qty: 1 } }] });
  assert.deepEqual(read(s), {
    siblings: [{ value: { qty: 1 }, dot: [EU, 1] }],
    context: { [EU]: 1 },
    tombstones: [],
    deleted: false,
  });
  const plainJson: JsonObject = s; // a state is an ordinary document value
  assert.ok(plainJson);
  assert.deepEqual(read(undefined), { siblings: [], context: {}, tombstones: [], deleted: false });
});

test('a write with the read context replaces what was read; a blind write replaces nothing', () => {
  const v1 = write(undefined, undefined, { qty: 1 }, EU);
  const v2 = write(v1, contextOf(v1), { qty: 2 }, EU);
  assert.deepEqual(values(v2), [{ qty: 2 }]);
  assert.deepEqual(v2.siblings[0]!.dot, [EU, 2]);
  const blind = write(v2, undefined, { qty: 3 }, EU);
  assert.deepEqual(values(blind), [{ qty: 2 }, { qty: 3 }]);
  assert.deepEqual(values(write(blind, {}, { qty: 4 }, EU)), [{ qty: 2 }, { qty: 3 }, { qty: 4 }]);
  assert.deepEqual(values(write(blind, contextOf(blind), { qty: 5 }, EU)), [{ qty: 5 }]);
});

test('two clients that read the same version and both write at one region leave two siblings', () => {
  // Why the sibling bound counts non-fresh writes: "≤ one sibling per replica" needs fresh contexts.
  const v1 = write(undefined, undefined, { qty: 1 }, EU);
  const seen = contextOf(v1);
  const s = write(write(v1, seen, { by: 'alice' }, EU), seen, { by: 'bob' }, EU);
  assert.deepEqual(values(s), [{ by: 'alice' }, { by: 'bob' }]);
  assert.deepEqual(
    s.siblings.map((x) => x.dot),
    [
      [EU, 2],
      [EU, 3],
    ],
  );
});

test('a delete is a tombstone sibling: the document reads as deleted, and its context still matters', () => {
  const v1 = write(undefined, undefined, { qty: 1 }, EU);
  const gone = write(v1, contextOf(v1), null, EU);
  assert.deepEqual(read(gone), { siblings: [], context: { [EU]: 2 }, tombstones: [[EU, 2]], deleted: true });
  // An old copy arriving from elsewhere does not bring the deleted version back.
  assert.deepEqual(read(merge(gone, v1)).deleted, true);
  // Writing again with the context replaces the tombstone.
  const again = write(gone, contextOf(gone), { qty: 9 }, EU);
  assert.deepEqual(again.siblings, [{ dot: [EU, 3], value: { qty: 9 } }]);
});

test('a delete concurrent with an update: reads show the update, the tombstone waits for a covering write', () => {
  const base = write(undefined, undefined, { qty: 1 }, EU);
  const deleted = write(base, contextOf(base), null, EU);
  const updated = write(base, contextOf(base), { qty: 2 }, US);
  const report = mergeReport(deleted, updated);
  assert.equal(report.concurrent, true);
  assert.equal(report.ordering, 'concurrent');
  assert.equal(report.siblings, 2);
  assert.equal(report.live, 1);
  assert.equal(report.superseded, 0);
  const r = read(report.state);
  assert.deepEqual(r.siblings, [{ value: { qty: 2 }, dot: [US, 1] }]);
  assert.deepEqual(r.tombstones, [[EU, 2]]);
  assert.equal(r.deleted, false);
  assert.equal(write(report.state, r.context, { qty: 3 }, US).siblings.length, 1);
});

test('mergeReport: ordering, superseded siblings, and no conflict when one side saw the other', () => {
  const v1 = write(undefined, undefined, { qty: 1 }, EU);
  const v2 = write(merge(undefined, v1), contextOf(v1), { qty: 2 }, US);
  const report = mergeReport(v1, v2);
  assert.equal(report.ordering, 'before');
  assert.equal(report.concurrent, false);
  assert.equal(report.superseded, 1);
  assert.deepEqual(values(report.state), [{ qty: 2 }]);
  assert.equal(mergeReport(v2, v1).ordering, 'after');
  assert.equal(mergeReport(v2, v2).ordering, 'equal');
});

test('untrusted (default): reading at one region and writing at another before replication leaves a sibling', () => {
  const atEu = write(undefined, undefined, { qty: 1 }, EU);
  const usState = write(undefined, undefined, { note: 'us' }, US);
  const seen = contextOf(merge(atEu, usState)); // a read somewhere that had both
  assert.deepEqual(contextAhead(usState, seen), { [EU]: 1 }); // US has not received EU's write yet
  assert.deepEqual(contextAhead(merge(usState, atEu), seen), {});
  const written = write(usState, seen, { qty: 2 }, US);
  assert.deepEqual(written.vv, { [US]: 2 }); // the context does not enter vv...
  // ...so once replication delivers EU's write, the client's own old read shows up next to its new write.
  assert.deepEqual(values(merge(written, atEu)), [{ qty: 1 }, { qty: 2 }]);
  // Trusted, the context joins vv and the write replaces what the client saw even where it had not arrived.
  const trusted = write(usState, seen, { qty: 2 }, US, { trustContext: true });
  assert.deepEqual(trusted.vv, { [EU]: 1, [US]: 2 });
  assert.deepEqual(values(merge(trusted, atEu)), [{ qty: 2 }]);
});

test('why untrusted is the default: a forged trusted context hides a write the region had not taken yet', () => {
  const forged = { [US]: 5 };
  const usWrite = write(undefined, undefined, { important: true }, US); // dot (us-east-1, 1), concurrent
  const lost = merge(write(undefined, forged, { x: 1 }, EU, { trustContext: true }), usWrite);
  assert.deepEqual(values(lost), [{ x: 1 }]);
  const kept = merge(write(undefined, forged, { x: 1 }, EU), usWrite);
  assert.deepEqual(values(kept), [{ x: 1 }, { important: true }]);
});

test("a context's entry for the writing region is capped at that region's own counter", () => {
  const v1 = write(undefined, undefined, { qty: 1 }, EU);
  for (const trustContext of [false, true]) {
    const v2 = write(v1, { [EU]: 10 }, { qty: 2 }, EU, { trustContext });
    assert.deepEqual(v2.vv, { [EU]: 2 });
    const v3 = write(v2, undefined, { qty: 3 }, EU, { trustContext });
    assert.deepEqual(
      v3.siblings.map((s) => s.dot),
      [
        [EU, 2],
        [EU, 3],
      ],
    );
  }
});

test('write refuses bad input with a MeridianError', () => {
  const v1 = write(undefined, undefined, { qty: 1 }, EU);
  failsWith(() => write(v1, undefined, { a: 1 }, 'EU West'), 'internal', /replica name "EU West" must match/);
  failsWith(() => write(v1, undefined, [1] as unknown as JsonObject, EU), 'invalid_document', /JSON object/);
  failsWith(
    () => write(v1, { [EU]: 0 }, { a: 1 }, EU),
    'bad_request',
    /counter of eu-west-1 must be a positive/,
  );
  const full = decodeState({ dvv: 1, vv: { [EU]: Number.MAX_SAFE_INTEGER }, siblings: [] });
  failsWith(() => write(full, undefined, { a: 1 }, EU), 'internal', /no counters left/);
  const vv = Object.fromEntries(Array.from({ length: MAX_REPLICAS }, (_, i) => [`r${i}`, 1]));
  const crowded = decodeState({ dvv: 1, vv, siblings: [] });
  assert.equal(write(crowded, undefined, { a: 1 }, 'r0').vv['r0'], 2);
  failsWith(() => write(crowded, undefined, { a: 1 }, EU), 'invalid_config', /more than 32 replicas/);
  failsWith(
    () => write(undefined, vv, { a: 1 }, EU, { trustContext: true }),
    'bad_request',
    /context names replicas this document has never seen/,
  );
});

test('inputs are never mutated, and reads do not alias the state', () => {
  const freeze = <T>(value: T): T => {
    if (typeof value === 'object' && value !== null) {
      Object.values(value).forEach(freeze);
      Object.freeze(value);
    }
    return value;
  };
  const a = freeze(write(write(undefined, undefined, { q: 1 }, EU), undefined, { q: 2 }, EU));
  const b = freeze(write(undefined, undefined, { q: 3 }, US));
  const ctx = freeze({ [EU]: 1 });
  write(a, ctx, { q: 4 }, EU, { trustContext: true });
  merge(a, b);
  mergeReport(b, a);
  decodeState(a);
  const r = read(a);
  r.context[EU] = 99;
  r.siblings[0]!.dot[1] = 99;
  assert.deepEqual(a.vv, { [EU]: 2 });
  assert.deepEqual(a.siblings[0]!.dot, [EU, 1]);
});

test('a dot held with two different values is resolved the same way everywhere and reported', () => {
  const one: VectorState = { dvv: 1, vv: { [EU]: 1 }, siblings: [{ dot: [EU, 1], value: { v: 'b' } }] };
  const two: VectorState = { dvv: 1, vv: { [EU]: 1 }, siblings: [{ dot: [EU, 1], value: { v: 'a' } }] };
  assert.equal(mergeReport(one, two).collisions, 1);
  assert.deepEqual(merge(one, two), merge(two, one));
  assert.deepEqual(values(merge(one, two)), [{ v: 'a' }]);
  const reordered: VectorState = { ...one, siblings: [{ dot: [EU, 1], value: { x: 1, y: 2 } }] };
  const same: VectorState = { ...one, siblings: [{ dot: [EU, 1], value: { y: 2, x: 1 } }] };
  assert.equal(mergeReport(reordered, same).collisions, 0); // key order is not a disagreement
  assert.equal(JSON.stringify(merge(reordered, same)), JSON.stringify(merge(same, reordered)));
});

test('decodeState accepts stored states in any key or sibling order and returns the canonical form', () => {
  const s = write(
    write(write(undefined, undefined, { a: 1 }, US), undefined, { b: 1 }, EU),
    undefined,
    { c: 1 },
    US,
  );
  const shuffled = {
    siblings: [...s.siblings].reverse(),
    vv: Object.fromEntries(Object.entries(s.vv).reverse()),
    dvv: 1,
  };
  assert.equal(JSON.stringify(decodeState(JSON.parse(JSON.stringify(shuffled)))), JSON.stringify(s));
  assert.equal(isVectorState(shuffled), true);
  assert.equal(isVectorState({ qty: 1 }), false); // a plain document is not a vector state
  assert.equal(isVectorState(emptyState()), true);
});

test('decodeState refuses garbage, naming the path of the problem', () => {
  const ok = { dvv: 1, vv: { [EU]: 2 }, siblings: [{ dot: [EU, 2], value: { a: 1 } }] };
  const sib = (s: unknown) => ({ ...ok, siblings: [s] });
  let deep: unknown = 1;
  for (let i = 0; i < 600; i++) deep = [deep];
  const cases: Array<[unknown, RegExp]> = [
    [null, /expected an object \{ dvv: 1, vv, siblings \}/],
    [[], /expected an object/],
    [{ ...ok, extra: 1 }, /unexpected field "extra"/],
    [{ ...ok, dvv: 2 }, /dvv: expected format version 1, got 2/],
    [{ vv: ok.vv, siblings: [] }, /dvv: expected format version 1, got undefined/],
    [{ ...ok, vv: [] }, /vv: expected an object/],
    [{ ...ok, vv: { [EU]: 2, 'Bad Name': 1 } }, /vv: replica name "Bad Name" must match/],
    [{ ...ok, vv: { [EU]: 0 } }, /vv.eu-west-1: expected a positive safe integer, got 0/],
    [{ ...ok, vv: { [EU]: 2.5 } }, /got 2.5/],
    [
      { ...ok, vv: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`r${i}`, 1])) },
      /names 33 replicas/,
    ],
    [{ ...ok, siblings: {} }, /siblings: expected an array/],
    [sib(1), /siblings\[0\]: expected an object \{ dot, value \}/],
    [sib({ dot: [EU, 2], value: {}, at: 1 }), /siblings\[0\]: unexpected field "at"/],
    [sib({ dot: [EU], value: {} }), /siblings\[0\].dot: expected \[replica, counter\]/],
    [sib({ dot: ['EU', 1], value: {} }), /siblings\[0\].dot\[0\]: replica name "EU"/],
    [sib({ dot: [EU, 0], value: {} }), /siblings\[0\].dot\[1\]: expected a positive safe integer, got 0/],
    [sib({ dot: [EU, 3], value: {} }), /\["eu-west-1", 3\] is not covered by vv \(eu-west-1: 2\)/],
    [sib({ dot: [US, 1], value: {} }), /is not covered by vv \(us-east-1: 0\)/],
    [
      { ...ok, siblings: [ok.siblings[0], ok.siblings[0]] },
      /siblings\[1\].dot: \["eu-west-1", 2\] appears twice/,
    ],
    [sib({ dot: [EU, 1] }), /siblings\[0\].value: missing \(use null for a delete\)/],
    [sib({ dot: [EU, 1], value: [1] }), /siblings\[0\].value: expected a JSON object, or null for a delete/],
    [sib({ dot: [EU, 1], value: 'x' }), /expected a JSON object/],
    [sib({ dot: [EU, 1], value: { n: NaN } }), /siblings\[0\].value.n: NaN is not a JSON number/],
    [sib({ dot: [EU, 1], value: { d: new Date(0) } }), /siblings\[0\].value.d: only plain objects are JSON/],
    [sib({ dot: [EU, 1], value: { f: () => 1 } }), /value.f: a value of type function is not JSON/],
    [sib({ dot: [EU, 1], value: { u: undefined } }), /value.u: a value of type undefined is not JSON/],
    [sib({ dot: [EU, 1], value: { deep } }), /nested more than 512 levels deep/],
  ];
  for (const [input, message] of cases) {
    failsWith(() => decodeState(input), 'invalid_document', message);
    assert.equal(isVectorState(input), false);
  }
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  failsWith(() => decodeState(sib({ dot: [EU, 1], value: cyclic })), 'invalid_document', /nested more than/);
});
