// `defineConfig` for meridian.config.ts: identity at run time, types and editor completion at write time.

import type { MeridianConfigInput } from './schema.ts';

export function defineConfig(config: MeridianConfigInput): MeridianConfigInput {
  return config;
}
