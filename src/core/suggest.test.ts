import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, levenshtein } from './suggest.ts';

test('levenshtein distances', () => {
  assert.equal(levenshtein('', 'abc'), 3);
  assert.equal(levenshtein('kitten', 'sitting'), 3);
  assert.equal(levenshtein('same', 'same'), 0);
});

test('suggests a close candidate and nothing for a far one', () => {
  assert.equal(closest('colections', ['regions', 'collections', 'limits']), 'collections');
  assert.equal(closest('active-activ', ['active-active', 'single-writer']), 'active-active');
  assert.equal(closest('zzzzzz', ['regions', 'collections']), undefined);
});
