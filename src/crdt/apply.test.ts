// Semantics of ops at one and at several replicas (deletes, type conflicts, registers, expiry) and the
// errors applyOps and validateOps report.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CrdtOpError,
  applyOps,
  emptyDocument,
  encode,
  expiresAt,
  materialize,
  merge,
  validateOps,
  type CrdtDocument,
} from './index.ts';
import { stateText, version } from './test-support.ts';

const EAST = 'us-east-1';
const WEST = 'eu-west-1';
let step = 0;

/** Applies raw (unvalidated) ops at a replica with a fresh, growing timestamp. */
function at(replica: string, state: CrdtDocument, ops: unknown, now?: number): CrdtDocument {
  return applyOps(state, ops as never, { replica, timestamp: version(++step, replica), now });
}

function opError(fn: () => unknown): CrdtOpError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CrdtOpError, String(err));
    return err;
  }
  assert.fail('expected a CrdtOpError');
}

describe('applyOps at one replica', () => {
  it('builds counters, sets, registers and nested maps', () => {
    const doc = at(EAST, emptyDocument(), [
      { op: 'increment', path: ['likes'] },
      { op: 'increment', path: ['likes'], by: 4 },
      { op: 'decrement', path: ['likes'], by: 2 },
      { op: 'add', path: ['tags'], value: 'red' },
      { op: 'add', path: ['tags'], value: 'blue' },
      { op: 'add', path: ['tags'], value: 'red' },
      { op: 'set', path: ['profile', 'name'], value: 'Ann' },
      { op: 'set', path: ['profile', 'address', 'city'], value: 'Lyon' },
      { op: 'set', path: ['profile', 'name'], value: 'Anne' },
      { op: 'decrement', path: ['debt'] },
    ]);
    assert.deepEqual(materialize(doc), {
      debt: -1,
      likes: 3,
      profile: { address: { city: 'Lyon' }, name: 'Anne' },
      tags: ['blue', 'red'],
    });
  });

  it('removes set elements and deletes fields, keeping emptied sets and maps', () => {
    let doc = at(EAST, emptyDocument(), [
      { op: 'add', path: ['tags'], value: { b: 1, a: 2 } },
      { op: 'set', path: ['profile', 'name'], value: 'Ann' },
      { op: 'increment', path: ['n'] },
    ]);
    doc = at(EAST, doc, [
      { op: 'remove', path: ['tags'], value: { a: 2, b: 1 } }, // same value, other key order
      { op: 'delete', path: ['profile', 'name'] },
      { op: 'delete', path: ['n'] },
      { op: 'delete', path: ['nothing', 'here'] },
      { op: 'remove', path: ['absent'], value: 1 },
    ]);
    assert.deepEqual(materialize(doc), { profile: {}, tags: [] });
    doc = at(EAST, doc, [{ op: 'increment', path: ['n'], by: 2 }]);
    assert.deepEqual(materialize(doc)?.['n'], 2, 'a deleted counter starts again from 0');
    doc = at(EAST, doc, [{ op: 'delete', path: [] }]);
    assert.deepEqual(materialize(doc), {});
  });

  it('lists sets in a documented order: null, booleans, numbers, strings, arrays, objects', () => {
    const values = [{ z: 1 }, 'b', 10, [1], true, 'a', -1, null, 2, false, { a: [] }, -0];
    const doc = at(
      EAST,
      emptyDocument(),
      values.map((value) => ({ op: 'add', path: ['s'], value })),
    );
    assert.deepEqual(materialize(doc)?.['s'], [
      null,
      false,
      true,
      -1,
      0,
      2,
      10,
      'a',
      'b',
      [1],
      { a: [] },
      { z: 1 },
    ]);
  });

  it('keeps field names such as __proto__ as plain fields', () => {
    const doc = at(
      EAST,
      emptyDocument(),
      JSON.parse('[{"op":"set","path":["__proto__","x"],"value":{"__proto__":1}}]'),
    );
    const shown = materialize(doc)!;
    assert.equal(Object.getPrototypeOf(shown), Object.prototype);
    assert.deepEqual(Object.keys(shown), ['__proto__']);
    assert.ok(
      Object.isFrozen((shown['__proto__'] as { x: object }).x),
      'values shared with the state are frozen',
    );
    assert.equal(JSON.stringify(shown), '{"__proto__":{"x":{"__proto__":1}}}');
  });

  it('is atomic and never changes its input', () => {
    const before = at(EAST, emptyDocument(), [{ op: 'add', path: ['tags'], value: 'red' }]);
    const text = stateText(before);
    at(EAST, before, [
      { op: 'add', path: ['tags'], value: 'blue' },
      { op: 'remove', path: ['tags'], value: 'red' },
      { op: 'increment', path: ['n'] },
    ]);
    opError(() =>
      at(EAST, before, [
        { op: 'add', path: ['tags'], value: 'green' },
        { op: 'increment', path: ['tags'] },
      ]),
    );
    assert.equal(stateText(before), text);
  });
});

describe('concurrent writes', () => {
  const base = at(EAST, emptyDocument(), [
    { op: 'set', path: ['profile', 'name'], value: 'Ann' },
    { op: 'increment', path: ['likes'], by: 5 },
    { op: 'add', path: ['tags'], value: 'red' },
  ]);

  it('a delete removes what it saw; a concurrent write inside the map survives alone (add-wins)', () => {
    const deleted = at(WEST, base, [{ op: 'delete', path: ['profile'] }]);
    const written = at(EAST, base, [{ op: 'set', path: ['profile', 'city'], value: 'Lyon' }]);
    assert.deepEqual(materialize(merge(deleted, written))?.['profile'], { city: 'Lyon' });
    // A write after seeing the delete starts from an empty map too.
    const later = at(EAST, merge(deleted, written), [{ op: 'delete', path: ['profile'] }]);
    assert.equal(materialize(merge(later, written))?.['profile'], undefined);
  });

  it('a deleted counter comes back with only the increments made concurrently with the delete', () => {
    const deleted = at(WEST, base, [{ op: 'delete', path: ['likes'] }]);
    const incremented = at(EAST, base, [{ op: 'increment', path: ['likes'], by: 2 }]);
    const merged = merge(deleted, incremented);
    assert.equal(materialize(merged)?.['likes'], 2);
    assert.equal(materialize(at(WEST, merged, [{ op: 'increment', path: ['likes'] }]))?.['likes'], 3);
    assert.equal(materialize(merge(deleted, base))?.['likes'], undefined, 'a delete wins over what it saw');
  });

  it('a concurrent add survives a remove; a remove that saw the add wins', () => {
    const removed = at(WEST, base, [{ op: 'remove', path: ['tags'], value: 'red' }]);
    const readded = at(EAST, base, [{ op: 'add', path: ['tags'], value: 'red' }]);
    assert.deepEqual(materialize(merge(removed, readded))?.['tags'], ['red']);
    const removedAfter = at(WEST, merge(removed, readded), [{ op: 'remove', path: ['tags'], value: 'red' }]);
    assert.deepEqual(materialize(merge(removedAfter, readded))?.['tags'], []);
  });

  it('registers: the greatest timestamp wins, then the replica; a write that saw another replaces it', () => {
    const east = applyOps(base, [{ op: 'set', path: ['r'], value: 'east' }], {
      replica: EAST,
      timestamp: 't2',
    });
    const west = applyOps(base, [{ op: 'set', path: ['r'], value: 'west' }], {
      replica: WEST,
      timestamp: 't3',
    });
    assert.equal(materialize(merge(east, west))?.['r'], 'west');
    const tie = applyOps(base, [{ op: 'set', path: ['r'], value: 'tie' }], {
      replica: WEST,
      timestamp: 't2',
    });
    assert.equal(materialize(merge(east, tie))?.['r'], 'east', 'same timestamp: us-east-1 > eu-west-1');
    // EAST's clock is behind (t2 < t3) but it saw WEST's value: its write replaces it everywhere.
    const behind = applyOps(merge(east, west), [{ op: 'set', path: ['r'], value: 'seen' }], {
      replica: EAST,
      timestamp: 't2.5',
    });
    assert.equal(materialize(merge(behind, west))?.['r'], 'seen');
  });

  it('type conflicts show the most recent type, and the next write settles them', () => {
    const counter = at(EAST, emptyDocument(), [{ op: 'increment', path: ['x'] }]);
    const set = at(WEST, emptyDocument(), [{ op: 'add', path: ['x'], value: 'a' }]);
    const merged = merge(counter, set);
    assert.deepEqual(materialize(merged), { x: ['a'] }, 'the set was written last');
    assert.deepEqual(materialize(merge(set, counter)), { x: ['a'] });
    const err = opError(() => at(EAST, merged, [{ op: 'increment', path: ['x'] }]));
    assert.equal(err.reason, 'type_mismatch');
    // The next add deletes the hidden counter (as far as EAST saw it), so it cannot resurface.
    const settled = at(EAST, merged, [{ op: 'add', path: ['x'], value: 'b' }]);
    const fields = encode(settled)['fields'] as { x: { counter: unknown } };
    assert.deepEqual(
      fields.x.counter,
      { live: [], totals: { [EAST]: [1, 0, 1, 0] } },
      'only a tombstone is left',
    );
    assert.deepEqual(materialize(merge(settled, counter)), { x: ['a', 'b'] });
    // The same the other way round: a counter written last hides a set, and the next increment drops it.
    const laterCounter = at(EAST, emptyDocument(), [{ op: 'increment', path: ['x'] }]);
    const counted = at(EAST, merge(set, laterCounter), [{ op: 'increment', path: ['x'] }]);
    assert.deepEqual(materialize(merge(counted, set)), { x: 2 });
    assert.equal((encode(merge(counted, set))['fields'] as { x: { set?: unknown } }).x.set, undefined);
    // Changing a type on purpose: delete, then write, in one batch.
    const retyped = at(EAST, settled, [
      { op: 'delete', path: ['x'] },
      { op: 'set', path: ['x'], value: 7 },
    ]);
    assert.deepEqual(materialize(merge(retyped, merged)), { x: 7 });
  });
});

describe('expiry', () => {
  const doc = at(EAST, emptyDocument(), [
    { op: 'set', path: ['session'], value: 'abc' },
    { op: 'increment', path: ['hits'] },
  ]);

  it('the longest time-to-live wins, locally and across replicas', () => {
    const a = at(EAST, doc, [{ op: 'expire', path: ['session'], at: 100 }]);
    const b = at(WEST, doc, [{ op: 'expire', path: ['session'], at: 200 }]);
    const shortened = at(EAST, b, [{ op: 'expire', path: ['session'], at: 150 }]);
    for (const s of [merge(a, b), merge(b, a), shortened]) {
      assert.deepEqual(materialize(s, 199), { hits: 1, session: 'abc' });
      assert.deepEqual(materialize(s, 200), { hits: 1 });
    }
    assert.deepEqual(materialize(merge(a, b)), { hits: 1, session: 'abc' }, 'without now nothing expires');
  });

  it('an expired document materializes as null and is reported for purging', () => {
    const expiring = at(EAST, doc, [{ op: 'expire', path: [], at: 1000 }]);
    assert.equal(expiresAt(expiring), 1000);
    assert.equal(expiresAt(doc), undefined);
    assert.deepEqual(materialize(expiring, 999), { hits: 1, session: 'abc' });
    assert.equal(materialize(expiring, 1000), null);
  });

  it('with now, a write to an expired field or document starts it afresh', () => {
    const expired = at(EAST, doc, [{ op: 'expire', path: ['hits'], at: 10 }]);
    const again = at(EAST, expired, [{ op: 'increment', path: ['hits'], by: 5 }], 20);
    assert.deepEqual(materialize(again, 20), { hits: 5, session: 'abc' });
    assert.equal(expiresAt(at(EAST, doc, [{ op: 'expire', path: [], at: 10 }])), 10);
    const reborn = at(
      EAST,
      at(EAST, doc, [{ op: 'expire', path: [], at: 10 }]),
      [{ op: 'add', path: ['t'], value: 1 }],
      20,
    );
    assert.deepEqual(materialize(reborn, 20), { t: [1] });
    assert.equal(expiresAt(reborn), undefined);
    // Without now the expiry stays: the field is still expired for readers.
    assert.deepEqual(materialize(at(EAST, expired, [{ op: 'increment', path: ['hits'] }]), 20), {
      session: 'abc',
    });
  });

  it('a delete removes the expiry, so a re-created field lives on', () => {
    const expiring = at(EAST, doc, [{ op: 'expire', path: ['session'], at: 10 }]);
    const recreated = at(EAST, expiring, [
      { op: 'delete', path: ['session'] },
      { op: 'set', path: ['session'], value: 'new' },
    ]);
    assert.deepEqual(materialize(recreated, 20), { hits: 1, session: 'new' });
  });
});

describe('errors', () => {
  const doc = at(EAST, emptyDocument(), [
    { op: 'add', path: ['tags'], value: 'red' },
    { op: 'increment', path: ['likes'] },
    { op: 'set', path: ['profile', 'name'], value: 'Ann' },
  ]);

  const cases: Array<[string, unknown, RegExp, string]> = [
    [
      'incrementing a set',
      [{ op: 'increment', path: ['tags'] }],
      /^ops\[0\] \(increment at \["tags"\]\): field \["tags"\] is a set, not a counter; delete it first to give it another type$/,
      'type_mismatch',
    ],
    [
      'adding to a counter',
      [
        { op: 'set', path: ['x'], value: 1 },
        { op: 'add', path: ['likes'], value: 1 },
      ],
      /^ops\[1\] \(add at \["likes"\]\): field \["likes"\] is a counter, not a set/,
      'type_mismatch',
    ],
    [
      'a path through a register',
      [{ op: 'set', path: ['profile', 'name', 'first'], value: 'A' }],
      /^ops\[0\] \(set at \["profile","name","first"\]\): field \["profile","name"\] is a register, not a map$/,
      'type_mismatch',
    ],
    [
      'removing from a register',
      [{ op: 'remove', path: ['profile', 'name'], value: 'Ann' }],
      /field \["profile","name"\] is a register, not a set/,
      'type_mismatch',
    ],
    [
      'setting a map',
      [{ op: 'set', path: ['profile'], value: {} }],
      /field \["profile"\] is a map, not a register/,
      'type_mismatch',
    ],
    [
      'expiring a missing field',
      [{ op: 'expire', path: ['nope', 'x'], at: 5 }],
      /^ops\[0\] \(expire at \["nope","x"\]\): there is no field \["nope","x"\] to expire$/,
      'missing_field',
    ],
    [
      'an unknown op',
      [{ op: 'incremnt', path: ['likes'] }],
      /^ops\[0\]\.op: expected one of increment, decrement, add, remove, set, delete, expire, got "incremnt" \(did you mean "increment"\?\)$/,
      'invalid_op',
    ],
    [
      'an unknown field',
      [{ op: 'increment', path: ['likes'], amount: 2 }],
      /^ops\[0\]\.amount: unknown field for increment$/,
      'invalid_op',
    ],
    [
      'a misspelt field',
      [{ op: 'add', path: ['tags'], valeu: 2 }],
      /^ops\[0\]\.valeu: unknown field for add \(did you mean "value"\?\)$/,
      'invalid_op',
    ],
    [
      'a non-finite by',
      [{ op: 'increment', path: ['likes'], by: Infinity }],
      /^ops\[0\]\.by: expected a positive safe integer, got Infinity$/,
      'invalid_op',
    ],
    [
      'a fractional by',
      [{ op: 'decrement', path: ['likes'], by: 1.5 }],
      /^ops\[0\]\.by: expected a positive safe integer, got 1\.5$/,
      'invalid_op',
    ],
    ['a negative by', [{ op: 'increment', path: ['likes'], by: -2 }], /got -2$/, 'invalid_op'],
    ['a string by', [{ op: 'increment', path: ['likes'], by: '2' }], /got "2"$/, 'invalid_op'],
    [
      'a path that is not an array',
      [{ op: 'add', path: 'tags', value: 1 }],
      /^ops\[0\]\.path: expected an array of field names, got "tags"$/,
      'invalid_op',
    ],
    [
      'a path with a number',
      [{ op: 'delete', path: ['a', 3] }],
      /^ops\[0\]\.path\[1\]: expected a string, got 3$/,
      'invalid_op',
    ],
    [
      'an empty path for a value',
      [{ op: 'set', path: [], value: 1 }],
      /^ops\[0\]\.path: expected at least one field name/,
      'invalid_op',
    ],
    [
      'a missing value',
      [{ op: 'add', path: ['tags'] }],
      /^ops\[0\]\.value: missing: expected a JSON value$/,
      'invalid_op',
    ],
    [
      'a value that is not JSON',
      [{ op: 'set', path: ['x'], value: { a: [1, NaN] } }],
      /^ops\[0\]\.value\.a\[1\]: expected a finite number, got NaN$/,
      'invalid_op',
    ],
    [
      'a Date value',
      [{ op: 'set', path: ['x'], value: new Date(0) }],
      /^ops\[0\]\.value: expected a plain object, got a Date$/,
      'invalid_op',
    ],
    [
      'a negative expiry',
      [{ op: 'expire', path: [], at: -1 }],
      /^ops\[0\]\.at: expected a time in milliseconds since the epoch/,
      'invalid_op',
    ],
    [
      'an op that is not an object',
      [{ op: 'add', path: ['t'], value: 1 }, 'add'],
      /^ops\[1\]: expected an op object, got "add"$/,
      'invalid_op',
    ],
    ['no ops', [], /^ops: expected at least one op$/, 'invalid_op'],
    ['not a list', { op: 'add' }, /^ops: expected an array of ops, got an object$/, 'invalid_op'],
  ];

  for (const [name, ops, message, reason] of cases) {
    it(`reports ${name}`, () => {
      const err = opError(() => at(EAST, doc, ops));
      assert.match(err.message, message);
      assert.equal(err.reason, reason);
      assert.equal(err.status, reason === 'invalid_op' ? 400 : 409);
    });
  }

  it('names the op index and path on the error', () => {
    const err = opError(() =>
      at(EAST, doc, [
        { op: 'add', path: ['x'], value: 1 },
        { op: 'increment', path: ['tags'] },
      ]),
    );
    assert.equal(err.opIndex, 1);
    assert.deepEqual(err.path, ['tags']);
    assert.equal(err.code, 'bad_request');
  });

  it('refuses too many ops, too deep paths and overflowing counters', () => {
    const many = Array.from({ length: 1001 }, () => ({ op: 'increment', path: ['n'] }));
    assert.match(opError(() => validateOps(many)).message, /^ops: 1001 ops in one request; at most 1000/);
    const deep = Array.from({ length: 33 }, () => 'm');
    assert.match(
      opError(() => validateOps([{ op: 'delete', path: deep }])).message,
      /maps nest at most 32 deep/,
    );
    const big = at(EAST, emptyDocument(), [
      { op: 'increment', path: ['n'], by: Number.MAX_SAFE_INTEGER - 1 },
    ]);
    const err = opError(() => at(EAST, big, [{ op: 'increment', path: ['n'], by: 2 }]));
    assert.equal(err.reason, 'overflow');
    assert.match(
      err.message,
      /the increments of replica us-east-1 to this counter would exceed 9007199254740991/,
    );
  });

  it('refuses a bad context or a timestamp that does not grow, as server errors', () => {
    const ops = [{ op: 'increment' as const, path: ['n'] }];
    const stale = opError(() => applyOps(doc, ops, { replica: EAST, timestamp: version(0, EAST) }));
    assert.equal(stale.reason, 'stale_timestamp');
    assert.equal(stale.status, 500);
    assert.match(
      stale.message,
      /^timestamp "000000000000@us-east-1" from replica us-east-1 is not after its last write/,
    );
    const same = applyOps(doc, ops, { replica: 'x', timestamp: 't1' });
    assert.equal(
      opError(() => applyOps(same, ops, { replica: 'x', timestamp: 't1' })).reason,
      'stale_timestamp',
    );
    assert.match(
      opError(() => applyOps(doc, ops, { replica: '', timestamp: 't' })).message,
      /^invalid apply context: replica: expected a string of 1 to 256 characters, got ""$/,
    );
    assert.match(
      opError(() => applyOps(doc, ops, { replica: 'r', timestamp: 't', now: NaN })).message,
      /^invalid apply context: now: expected milliseconds since the epoch, got NaN$/,
    );
  });

  it('validateOps returns canonical, frozen ops with defaults', () => {
    const ops = validateOps([
      { op: 'increment', path: ['n'] },
      { op: 'add', path: ['s'], value: { b: -0, a: [1] } },
    ]);
    assert.deepEqual(ops, [
      { op: 'increment', path: ['n'], by: 1 },
      { op: 'add', path: ['s'], value: { a: [1], b: 0 } },
    ]);
    assert.equal(JSON.stringify(ops[1]), '{"op":"add","path":["s"],"value":{"a":[1],"b":0}}');
    assert.ok(Object.isFrozen(ops) && Object.isFrozen(ops[0]) && Object.isFrozen(ops[0]!.path));
  });
});
