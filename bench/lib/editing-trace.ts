// A real text-editing trace (automerge-paper: Martin Kleppmann typing an academic paper, 259,778
// edits; via josephg/editing-traces, CC BY 4.0; see data/SOURCES.md) and its replay into a Yjs Y.Text.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type * as Y from 'yjs';

/** One edit: at `pos`, delete `del` characters, then insert `ins`. */
export type Edit = readonly [pos: number, del: number, ins: string];

export interface EditingTrace {
  /** The text before the first edit ('' for automerge-paper). */
  readonly startContent: string;
  readonly edits: readonly Edit[];
  /** The text after the last edit. */
  readonly endContent: string;
}

export const AUTOMERGE_PAPER = fileURLToPath(
  new URL('../../data/traces/automerge-paper.json.gz', import.meta.url),
);

/**
 * Loads a trace in the josephg/editing-traces format (gzipped JSON or plain JSON):
 * `{ startContent, endContent, txns: [{ time, patches: [[pos, del, ins], ...] }] }`, every txn's
 * patches flattened in order. Positions count Unicode code points; Y.Text counts UTF-16 units, so a
 * trace with characters outside the BMP is refused rather than replayed wrong.
 */
export function loadEditingTrace(path: string = AUTOMERGE_PAPER): EditingTrace {
  const raw = readFileSync(path);
  const json = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  const data = JSON.parse(json.toString('utf8')) as unknown;
  if (typeof data !== 'object' || data === null) throw new Error(`${path}: expected a JSON object`);
  const { startContent = '', endContent, txns } = data as Record<string, unknown>;
  if (typeof startContent !== 'string' || typeof endContent !== 'string' || !Array.isArray(txns)) {
    throw new Error(`${path}: expected { startContent, endContent: string, txns: [...] }`);
  }
  if (/[\u{10000}-\u{10FFFF}]/u.test(startContent + endContent)) {
    throw new Error(`${path}: characters outside the BMP; positions would need converting to UTF-16`);
  }
  const edits: Edit[] = [];
  txns.forEach((txn: unknown, t) => {
    const patches = (txn as { patches?: unknown } | null)?.patches;
    if (!Array.isArray(patches)) throw new Error(`${path}: txns[${t}].patches is not an array`);
    for (const patch of patches as unknown[]) {
      if (
        !Array.isArray(patch) ||
        patch.length !== 3 ||
        !Number.isInteger(patch[0]) ||
        !Number.isInteger(patch[1]) ||
        typeof patch[2] !== 'string'
      ) {
        throw new Error(
          `${path}: txns[${t}] has a patch that is not [pos, del, ins]: ${JSON.stringify(patch)}`,
        );
      }
      edits.push(patch as unknown as Edit);
    }
  });
  return { startContent, edits, endContent };
}

/**
 * Applies edits[from, to) to the root Y.Text `name` of `doc`, one transaction per edit (so each edit
 * is one Yjs update, as from a client typing). The text must hold what the edits before `from` left.
 */
export function replayIntoYDoc(
  doc: Y.Doc,
  edits: readonly Edit[],
  from = 0,
  to = edits.length,
  name = 'text',
): void {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > edits.length || from > to) {
    throw new RangeError(`replay range [${from}, ${to}) is not within the ${edits.length} edits`);
  }
  const text = doc.getText(name);
  for (let i = from; i < to; i++) {
    const [pos, del, ins] = edits[i]!;
    doc.transact(() => {
      if (del > 0) text.delete(pos, del);
      if (ins.length > 0) text.insert(pos, ins);
    });
  }
}
