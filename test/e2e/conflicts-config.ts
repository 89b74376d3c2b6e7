// The deployment config of the conflict scenarios (test/e2e/conflicts.test.ts, bench:conflicts): one
// collection per conflict policy, written as a TypeScript config file since the resolver is code.

export const CONFLICTS_CONFIG = `export default {
  regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }, { name: 'ap-northeast-1' }],
  // The editing trace's Yjs document is ~0.4 MB as base64 once whole, and up to a few MB while a region
  // holds updates whose predecessors are still on their way: above the default document limit.
  limits: { maxDocumentBytes: 8 * 1024 * 1024 },
  collections: {
    profiles: {},
    carts: { conflict: 'vector' },
    stats: { conflict: 'crdt' },
    notes: { conflict: 'yjs' },
    tags: {
      conflict: {
        resolve(a, b) {
          return { items: [...new Set([...(a.items ?? []), ...(b.items ?? [])])].sort() };
        },
      },
    },
  },
};
`;
