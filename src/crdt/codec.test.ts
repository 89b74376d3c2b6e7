// The stored form: exact round-trips through JSON text, and decode's refusal of malformed or hostile input.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Json } from '../core/json.ts';
import { CrdtStateError, applyOps, decode, emptyDocument, encode, materialize, merge } from './index.ts';
import { NOW, arbHistory, mergeAll, runHistory, stateText, version } from './test-support.ts';

const arbState = fc.tuple(arbHistory, fc.nat()).map(([events, pick]) => {
  const { replicas, updates } = runHistory(events);
  const pool = [...replicas, ...updates, mergeAll(replicas)];
  return pool[pick % pool.length]!;
});

function stateError(input: unknown): CrdtStateError {
  try {
    decode(input);
  } catch (err) {
    assert.ok(err instanceof CrdtStateError, String(err));
    return err;
  }
  assert.fail('expected a CrdtStateError');
}

const sample = encode(
  applyOps(
    emptyDocument(),
    [
      { op: 'increment', path: ['likes'], by: 2 },
      { op: 'add', path: ['tags'], value: 'red' },
      { op: 'set', path: ['profile', 'name'], value: 'Ann' },
      { op: 'expire', path: [], at: 99 },
    ],
    { replica: 'us-east-1', timestamp: 't1' },
  ),
);

/** A deep copy of the sample with the node at `path` replaced by `value` (pushed, for an index past the end). */
function edited(path: readonly (string | number)[], value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(sample)) as unknown;
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

describe('encode and decode', () => {
  it('round-trip any state exactly through JSON text (property)', () => {
    fc.assert(
      fc.property(arbState, (state) => {
        const text = JSON.stringify(encode(state));
        const back = decode(JSON.parse(text));
        assert.equal(JSON.stringify(encode(back)), text);
        assert.deepEqual(materialize(back, NOW), materialize(state, NOW));
        assert.equal(stateText(merge(back, state)), text);
      }),
      { numRuns: 300 },
    );
  });

  it('writes a readable, documented shape', () => {
    assert.deepEqual(sample, {
      crdt: 1,
      cc: { 'us-east-1': ['t1', 3] },
      fields: {
        likes: { counter: { live: [['us-east-1', 't1', 0]], totals: { 'us-east-1': [2, 0, 0, 0] } } },
        profile: {
          map: {
            live: [['us-east-1', 't1', 2]],
            fields: { name: { register: [[['us-east-1', 't1', 2], 'Ann']] } },
          },
        },
        tags: { set: { live: [['us-east-1', 't1', 1]], elements: [['red', [['us-east-1', 't1', 1]]]] } },
      },
      expiry: [[['us-east-1', 't1', 3], 99]],
    });
    assert.deepEqual(encode(emptyDocument()), { crdt: 1, cc: {}, fields: {} });
  });

  it('decodes any key order and list order to the same state', () => {
    const a = applyOps(emptyDocument(), [{ op: 'add', path: ['s'], value: 'x' }], {
      replica: 'b',
      timestamp: '1',
    });
    const b = applyOps(emptyDocument(), [{ op: 'add', path: ['s'], value: 'x' }], {
      replica: 'a',
      timestamp: '1',
    });
    const both = encode(merge(a, b));
    const reversed = JSON.parse(JSON.stringify(both), (_k, v: unknown) =>
      Array.isArray(v) && v.length > 1 && Array.isArray(v[0]) ? [...(v as unknown[])].reverse() : v,
    ) as Json;
    assert.notEqual(JSON.stringify(reversed), JSON.stringify(both));
    assert.equal(JSON.stringify(encode(decode(reversed))), JSON.stringify(both));
  });

  it('keeps fields and replicas named __proto__ as data', () => {
    const state = applyOps(emptyDocument(), [{ op: 'set', path: ['__proto__'], value: 1 }], {
      replica: '__proto__',
      timestamp: 't',
    });
    const back = decode(JSON.parse(JSON.stringify(encode(state))));
    assert.equal(JSON.stringify(materialize(back)), '{"__proto__":1}');
    assert.equal(JSON.stringify(encode(back)), JSON.stringify(encode(state)));
  });

  it('rejects garbage with a CrdtStateError (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        stateError(junk);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a corrupted state or accepts it as a state that merges lawfully (property)', () => {
    // Replace one node anywhere in an encoded state with random JSON: decode must refuse it cleanly or
    // return a state that is canonical and behaves as a join; it must never throw anything else.
    fc.assert(
      fc.property(arbState, fc.nat(), fc.jsonValue({ maxDepth: 3 }), (state, where, replacement) => {
        const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
        const doc = JSON.parse(JSON.stringify(encode(state))) as Json;
        const walk = (v: unknown): void => {
          if (typeof v !== 'object' || v === null) return;
          for (const [k, c] of Object.entries(v)) {
            nodes.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
            walk(c);
          }
        };
        walk(doc);
        const target = nodes[where % nodes.length]!;
        (target.parent as Record<string | number, unknown>)[target.key] = replacement;
        let back;
        try {
          back = decode(doc);
        } catch (err) {
          assert.ok(err instanceof CrdtStateError, String(err));
          assert.match(err.message, /^invalid CRDT state at state[.[]/);
          return;
        }
        assert.equal(stateText(decode(encode(back))), stateText(back));
        assert.equal(stateText(merge(back, back)), stateText(back));
        assert.equal(stateText(merge(back, state)), stateText(merge(state, back)));
        materialize(back, NOW);
      }),
      { numRuns: 400 },
    );
  });

  const cases: Array<[string, unknown, string]> = [
    ['null', null, 'invalid CRDT state at state: expected an object, got null'],
    ['another version', edited(['crdt'], 2), 'at state.crdt: expected format version 1, got 2'],
    [
      'an unknown member',
      edited(['extra'], 1),
      'at state.extra: unknown member (expected crdt, cc, fields, expiry)',
    ],
    [
      'a dot the context has not seen',
      edited(['cc', 'us-east-1'], ['t1', 1]),
      'at state.fields.profile.map.live[0]: dot ["us-east-1","t1",2] is newer than the state\'s context (cc)',
    ],
    [
      'two dots of one replica in a list',
      edited(['expiry', 1], [['us-east-1', 't1', 2], 5]),
      'at state.expiry[1]: a second dot of replica us-east-1 in one list',
    ],
    [
      'a duplicate set element',
      edited(['fields', 'tags', 'set', 'elements', 1], ['red', []]),
      'at state.fields.tags.set.elements[1]: "red" appears twice',
    ],
    [
      'a floor above its total',
      edited(['fields', 'likes', 'counter', 'totals', 'us-east-1'], [2, 0, 3, 0]),
      'at state.fields.likes.counter.totals["us-east-1"]: a deleted amount (floor) exceeds its total',
    ],
    [
      'a fractional dot index',
      edited(['expiry', 0, 0], ['us-east-1', 't1', 0.5]),
      'at state.expiry[0][0][2]: expected a non-negative safe integer, got 0.5',
    ],
    [
      'a register value that is not JSON',
      edited(['fields', 'profile', 'map', 'fields', 'name', 'register', 0, 1], { when: new Date(0) }),
      'at state.fields.profile.map.fields.name.register[0][1].when: expected a plain object, got a Date',
    ],
    [
      'a set element nested too deep',
      edited(['fields', 'tags', 'set', 'elements', 0, 0], JSON.parse('['.repeat(100) + ']'.repeat(100))),
      'at state.fields.tags.set.elements[0][0]' + '[0]'.repeat(64) + ': nested deeper than 64 levels',
    ],
  ];

  for (const [name, input, message] of cases) {
    it(`rejects ${name}`, () => {
      const err = stateError(input);
      assert.ok(err.message.endsWith(message), err.message);
      assert.equal(err.code, 'invalid_document');
    });
  }

  it('rejects maps nested deeper than ops can make them, without recursing without bound', () => {
    let fields: Json = {};
    for (let i = 0; i < 10_000; i++) fields = { m: { map: { live: [], fields } } };
    assert.match(stateError({ crdt: 1, cc: {}, fields }).message, /maps nest deeper than 32 levels$/);
    const ok = applyOps(
      emptyDocument(),
      [{ op: 'set', path: Array.from({ length: 32 }, () => 'm'), value: 1 }],
      {
        replica: 'r',
        timestamp: version(1, 'r'),
      },
    );
    assert.equal(stateText(decode(encode(ok))), stateText(ok));
  });
});
