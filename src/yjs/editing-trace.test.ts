import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as Y from 'yjs';
import { loadEditingTrace, replayIntoYDoc } from '../../bench/lib/editing-trace.ts';

describe('automerge-paper editing trace', () => {
  const trace = loadEditingTrace();

  it('has the shape data/SOURCES.md describes', () => {
    assert.equal(trace.startContent, '');
    assert.equal(trace.edits.length, 259_778);
    assert.equal(trace.endContent.length, 104_852);
  });

  it('replayed in order into one Y.Text gives exactly endContent', (t) => {
    const doc = new Y.Doc();
    const half = Math.floor(trace.edits.length / 2);
    const started = performance.now();
    replayIntoYDoc(doc, trace.edits, 0, half);
    replayIntoYDoc(doc, trace.edits, half);
    const ms = performance.now() - started;
    t.diagnostic(`bare replay of ${trace.edits.length} edits into a Y.Doc: ${ms.toFixed(0)} ms`);
    assert.equal(doc.getText('text').toJSON(), trace.endContent);
    doc.destroy();
  });

  it('refuses a replay range outside the trace', () => {
    const doc = new Y.Doc();
    assert.throws(() => replayIntoYDoc(doc, trace.edits, 10, 5), RangeError);
    assert.throws(() => replayIntoYDoc(doc, trace.edits, 0, trace.edits.length + 1), RangeError);
    assert.throws(() => replayIntoYDoc(doc, trace.edits, -1), RangeError);
  });
});
