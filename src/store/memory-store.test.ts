// Runs the Store conformance suite against the in-memory adapter.

import { createMemoryStore } from './memory-store.ts';
import { storeConformance } from './store-conformance.ts';

storeConformance('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});
