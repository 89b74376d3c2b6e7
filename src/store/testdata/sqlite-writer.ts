// Child process for the kill -9 test: writes to a SQLite store until killed, printing each key only
// after its write has been acknowledged.

import { formatVersion } from '../../core/version.ts';
import { createSqliteStore } from '../sqlite-store.ts';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: sqlite-writer.ts <database path>');
const store = createSqliteStore({ path });
// Bounded so that an orphaned writer stops by itself.
for (let i = 1; i <= 1_000_000; i++) {
  const write = {
    collection: 'acked',
    key: `k${i}`,
    value: { i },
    version: formatVersion({ wall: i, counter: 0 }, 'us-east-1'),
    origin: 'us-east-1',
  };
  const result = await store.writeLocal(write, { kind: 'none' });
  if (!result.ok) throw new Error(`write ${write.key} was refused`);
  process.stdout.write(`${write.key}\n`);
}
