// The public library entry: what a meridian.config.ts and an embedding application import.

export { defineConfig } from './config/define-config.ts';
export type { MeridianConfig, MeridianConfigInput, CollectionConfig, RegionConfig } from './config/schema.ts';
export { resolveConfig, ConfigError } from './config/resolve-config.ts';
export { MeridianError, ErrorCode } from './core/errors.ts';
export { createRegionNode } from './region/region-node.ts';
export type { Store } from './store/store.ts';
export { createMemoryStore } from './store/memory-store.ts';
export { createSqliteStore } from './store/sqlite-store.ts';
