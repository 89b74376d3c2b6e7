// The built-in demo topology that `meridian up` (and `npm start`) runs when no config is given.

import { defineConfig } from './define-config.ts';

export const demoConfig = defineConfig({
  name: 'meridian-demo',
  regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }, { name: 'ap-northeast-1' }],
  collections: {
    profiles: { topology: 'active-active', conflict: 'lww' },
  },
});
