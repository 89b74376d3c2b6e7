import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as Y from 'yjs';
import { MeridianError } from '../core/errors.ts';
import {
  applyUpdate,
  compactState,
  decodeState,
  diff,
  emptyState,
  encodeState,
  isEmptyUpdate,
  mergeStates,
  sameDocument,
  stateVector,
  toText,
  validateUpdate,
} from './yjs-state.ts';

// Three replicas edit one Y.Text (inserts, deletes, and syncs between them so edits interleave);
// every update any of them emits is collected. At the end all replicas sync: `text` is the converged text.
const editOp = fc.record({
  replica: fc.nat(2),
  kind: fc.constantFrom('insert', 'insert', 'delete', 'sync'),
  pos: fc.nat(),
  text: fc.string({ minLength: 1, maxLength: 5 }),
  len: fc.integer({ min: 1, max: 4 }),
  other: fc.nat(2),
});

interface Scenario {
  readonly updates: readonly Uint8Array[];
  readonly text: string;
}

const scenario: fc.Arbitrary<Scenario> = fc.array(editOp, { minLength: 1, maxLength: 30 }).map((ops) => {
  const docs = [1, 2, 3].map((clientID) => {
    const doc = new Y.Doc();
    doc.clientID = clientID;
    return doc;
  });
  const updates: Uint8Array[] = [];
  for (const doc of docs) doc.on('update', (update: Uint8Array) => updates.push(update));
  for (const op of ops) {
    const doc = docs[op.replica]!;
    const text = doc.getText('text');
    if (op.kind === 'insert') text.insert(op.pos % (text.length + 1), op.text);
    else if (op.kind === 'delete' && text.length > 0) {
      const at = op.pos % text.length;
      text.delete(at, Math.min(op.len, text.length - at));
    } else if (op.kind === 'sync') {
      const from = docs[op.other]!;
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(from, Y.encodeStateVector(doc)));
    }
  }
  const all = new Y.Doc();
  for (const doc of docs) Y.applyUpdate(all, Y.encodeStateAsUpdate(doc));
  return { updates, text: all.getText('text').toJSON() };
});

/** The scenario's updates merged into `parts` states, each update in a random part. */
function split(s: Scenario, assignment: readonly number[], parts: number): Uint8Array[] {
  const states = Array.from({ length: parts }, () => emptyState());
  s.updates.forEach((update, i) => {
    const p = (assignment[i % Math.max(1, assignment.length)] ?? 0) % parts;
    states[p] = applyUpdate(states[p]!, update);
  });
  return states;
}

const runs = { numRuns: 150 };

describe('yjs-state merging', () => {
  it('is commutative: a+b and b+a hold the same document, with the same canonical bytes', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.nat(), { minLength: 1 }), (s, assignment) => {
        const [a, b] = split(s, assignment, 2) as [Uint8Array, Uint8Array];
        const ab = mergeStates(a, b);
        const ba = mergeStates(b, a);
        assert.ok(sameDocument(ab, ba));
        assert.deepEqual(compactState(ab), compactState(ba));
        assert.equal(toText(ab), s.text);
      }),
      runs,
    );
  });

  it('is associative', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.nat(), { minLength: 1 }), (s, assignment) => {
        const [a, b, c] = split(s, assignment, 3) as [Uint8Array, Uint8Array, Uint8Array];
        assert.ok(sameDocument(mergeStates(mergeStates(a, b), c), mergeStates(a, mergeStates(b, c))));
      }),
      runs,
    );
  });

  it('is idempotent: merging a state or an update again changes nothing', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.nat(), { minLength: 1 }), (s, assignment) => {
        const [a, b] = split(s, assignment, 2) as [Uint8Array, Uint8Array];
        assert.ok(sameDocument(mergeStates(a, a), a));
        const ab = mergeStates(a, b);
        assert.ok(sameDocument(mergeStates(ab, b), ab));
        let again = ab;
        for (const update of s.updates) again = applyUpdate(again, update);
        assert.ok(sameDocument(again, ab));
      }),
      runs,
    );
  });

  it('converges whatever order the updates arrive in', () => {
    fc.assert(
      fc.property(
        scenario.chain((s) =>
          fc.tuple(fc.constant(s), fc.shuffledSubarray([...s.updates], { minLength: s.updates.length })),
        ),
        ([s, shuffled]) => {
          const state = shuffled.reduce(applyUpdate, emptyState());
          assert.equal(toText(state), s.text);
        },
      ),
      runs,
    );
  });

  it('diff gives a replica exactly what its state vector lacks', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.nat(), { minLength: 1 }), (s, assignment) => {
        const [a, b] = split(s, assignment, 2) as [Uint8Array, Uint8Array];
        const caughtUp = applyUpdate(b, diff(a, stateVector(b)));
        assert.ok(sameDocument(caughtUp, mergeStates(a, b)));
        // No structs for a replica that has everything (only the delete set travels).
        const full = mergeStates(a, b);
        assert.equal(Y.decodeUpdate(diff(full, stateVector(full))).structs.length, 0);
      }),
      runs,
    );
  });

  it('stateVector matches the state vector of a Y.Doc holding the state', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const state = s.updates.reduce(applyUpdate, emptyState());
        const doc = new Y.Doc();
        Y.applyUpdate(doc, state);
        assert.deepEqual(
          Y.decodeStateVector(stateVector(state)),
          Y.decodeStateVector(Y.encodeStateVector(doc)),
        );
      }),
      runs,
    );
  });
});

describe('yjs-state edge cases', () => {
  it('starts from the empty state', () => {
    assert.deepEqual(emptyState(), Y.encodeStateAsUpdate(new Y.Doc()));
    assert.equal(toText(emptyState()), '');
    assert.ok(isEmptyUpdate(emptyState()));
    const doc = new Y.Doc();
    doc.getText('text').insert(0, 'x');
    assert.equal(isEmptyUpdate(Y.encodeStateAsUpdate(doc)), false);
    assert.equal(toText(Y.encodeStateAsUpdate(doc), 'other'), '');
  });

  it('refuses garbage with a clear MeridianError instead of crashing', () => {
    const garbage = [
      new Uint8Array(),
      Uint8Array.of(0xff, 0xff, 0xff),
      new TextEncoder().encode('hello, not a yjs update'),
      Uint8Array.of(1, 1, 7, 0, 31, 1, 4, 116, 101, 120, 116, 1, 120, 0), // content type 31 does not exist
    ];
    for (const bytes of garbage) {
      assert.throws(
        () => applyUpdate(emptyState(), bytes),
        (err: unknown) =>
          err instanceof MeridianError &&
          err.code === 'invalid_document' &&
          err.message.startsWith(`malformed Yjs update (${bytes.length} bytes): `),
      );
      assert.throws(() => validateUpdate(bytes), MeridianError);
      assert.throws(() => isEmptyUpdate(bytes), MeridianError);
      assert.throws(() => mergeStates(emptyState(), bytes), MeridianError);
      assert.throws(() => toText(bytes), MeridianError);
    }
    assert.throws(() => diff(emptyState(), Uint8Array.of(5, 1)), /malformed Yjs state vector/);
  });

  it('either refuses or merges random bytes, never throwing anything else', () => {
    fc.assert(
      fc.property(scenario, fc.uint8Array({ maxLength: 64 }), (s, bytes) => {
        const state = s.updates.reduce(applyUpdate, emptyState());
        try {
          toText(applyUpdate(state, bytes));
        } catch (err) {
          assert.ok(err instanceof MeridianError, String(err));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses corrupted real updates with a MeridianError', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.integer({ min: 1, max: 255 }), (s, at, xor) => {
        const update = mergeStates(emptyState(), s.updates.reduce(applyUpdate, emptyState()));
        const corrupt = update.slice();
        corrupt[at % corrupt.length]! ^= xor;
        try {
          applyUpdate(emptyState(), corrupt);
        } catch (err) {
          assert.ok(err instanceof MeridianError, String(err));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('encodeState / decodeState', () => {
  it('round-trips any bytes through the stored JSON value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (bytes) => {
        const value = JSON.parse(JSON.stringify(encodeState(bytes))) as unknown;
        assert.deepEqual(decodeState(value), bytes);
      }),
    );
    assert.deepEqual(encodeState(emptyState()), { yjs: 'AAA=' });
  });

  it('round-trips a real document', () => {
    const doc = new Y.Doc();
    doc.getText('text').insert(0, 'héllo 👋');
    const state = Y.encodeStateAsUpdate(doc);
    assert.equal(toText(decodeState(encodeState(state))), 'héllo 👋');
  });

  it('refuses anything but {"yjs": "<base64>"}', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /got null/],
      [[], /got an array/],
      ['AAA=', /got a string/],
      [{}, /"yjs" must be a base64 string, got undefined/],
      [{ yjs: 5 }, /got number/],
      [{ yjs: 'AAA=', other: 1 }, /remove "other"/],
      [{ yjs: 'AA A=' }, /not standard padded base64/],
      [{ yjs: 'AAA' }, /not standard padded base64/],
      [{ yjs: '' }, /is empty/],
    ];
    for (const [value, message] of bad) {
      assert.throws(
        () => decodeState(value),
        (err: unknown) =>
          err instanceof MeridianError && err.code === 'invalid_document' && message.test(err.message),
        JSON.stringify(value),
      );
    }
  });
});
