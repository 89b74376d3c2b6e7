// The token merge rule: unit cases, and a property over a model server whose tokens are sets of writes.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { afterAnswer, formatTokens, parseTokens } from './session-tokens.ts';

describe('afterAnswer', () => {
  it('an answer to a request that carried every held token replaces them all', () => {
    assert.deepEqual(afterAnswer(['a', 'b'], ['a', 'b'], 'm', 8), ['m']);
  });

  it('an answer to a request that carried fewer tokens is added, dropping only what it covers', () => {
    // The request went out holding [a]; b arrived meanwhile (another request's answer).
    assert.deepEqual(afterAnswer(['a', 'b'], ['a'], 'c', 8), ['b', 'c']);
    assert.deepEqual(afterAnswer(['b'], [], 'c', 8), ['b', 'c']);
  });

  it('holds a token once, however often it comes back', () => {
    assert.deepEqual(afterAnswer(['a', 'b'], [], 'a', 8), ['b', 'a']);
  });

  it('over the cap, the oldest go first', () => {
    assert.deepEqual(afterAnswer(['a', 'b', 'c'], [], 'd', 3), ['b', 'c', 'd']);
  });

  it('parses and formats the header value', () => {
    assert.deepEqual(parseTokens(undefined), []);
    assert.deepEqual(parseTokens(''), []);
    assert.deepEqual(parseTokens(' a , ,b'), ['a', 'b']);
    assert.equal(formatTokens(['a', 'b']), 'a,b');
  });
});

describe('against a model server', () => {
  // Each token stands for the set of writes it covers; the server merges what a request sent and adds
  // the request's own write, as src/protocol/session-token.ts and the coordinator do with vectors.
  const maxTokens = 4;
  const steps = fc.array(fc.oneof(fc.constant('send' as const), fc.nat(20)), { maxLength: 80 });

  it('loses no write while no more than maxTokens requests are in flight', () => {
    fc.assert(
      fc.property(steps, (plan) => {
        const covers = new Map<string, ReadonlySet<number>>();
        let held: string[] = [];
        let inFlight: Array<{ id: number; sent: string[] }> = [];
        const answered: number[] = [];
        let next = 0;
        for (const step of plan) {
          if (step === 'send') {
            if (inFlight.length === maxTokens) continue;
            inFlight.push({ id: next++, sent: [...held] });
            continue;
          }
          if (inFlight.length === 0) continue;
          const request = inFlight[step % inFlight.length]!;
          inFlight = inFlight.filter((r) => r !== request);
          const merged = new Set([request.id, ...request.sent.flatMap((t) => [...covers.get(t)!])]);
          const token = `t${request.id}`;
          covers.set(token, merged);
          held = afterAnswer(held, request.sent, token, maxTokens);
          answered.push(request.id);
          const seen = new Set(held.flatMap((t) => [...covers.get(t)!]));
          assert.ok(held.length <= maxTokens);
          for (const id of answered) assert.ok(seen.has(id), `write ${id} is covered by the held tokens`);
        }
      }),
    );
  });
});
