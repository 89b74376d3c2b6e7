// Runs the Store conformance suite against the in-memory adapter.

import { createMemoryStore } from './memory-store.ts';
import { storeConformance } from './store-conformance.ts';

storeConformance('memory', async (options) => {
  const store = createMemoryStore(options);
  return { store, cleanup: () => store.close() };
});
