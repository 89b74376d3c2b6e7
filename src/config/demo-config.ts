// The built-in demo topology that `meridian up` (and `npm start`) runs when no config is given.

import { defineConfig } from './define-config.ts';

export const demoConfig = defineConfig({
  name: 'meridian-demo',
  regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }, { name: 'ap-northeast-1' }],
  collections: {
    // Every region takes writes; concurrent writes resolve by last-write-wins.
    profiles: { topology: 'active-active', conflict: 'lww' },
    // Reads everywhere, writes forwarded to us-east-1, acknowledged once a majority of regions has them.
    accounts: {
      topology: 'single-writer',
      primary: 'us-east-1',
      replication: { mode: 'sync', ack: 'majority' },
    },
    // us-east-1 serves it; the other regions are warm standbys that forward every request there.
    orders: { topology: 'active-passive', primary: 'us-east-1', standby: 'forward' },
    // Each user lives in the region its key names: 'eu/alice' is written in eu-west-1.
    users: {
      topology: 'home-region',
      home: { keyPrefix: { 'us/': 'us-east-1', 'eu/': 'eu-west-1', 'ap/': 'ap-northeast-1' } },
    },
  },
});
