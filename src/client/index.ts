// meridian/client: the TypeScript client for applications (Node 20, browsers, edge runtimes).
// Usage and the session-token rules: docs/CLIENT.md.

export {
  createClient,
  type Collection,
  type Doc,
  type ListItem,
  type ListOptions,
  type ListPage,
  type MeridianClient,
  type PutOptions,
  type WriteOptions,
  type WriteResult,
} from './client.ts';
export {
  CONSISTENCY_LEVELS,
  type ClientOptions,
  type Consistency,
  type Fetch,
  type ReadOptions,
} from './options.ts';
export { MeridianClientError, type ClientErrorCode } from './errors.ts';
export {
  cookieTokenStore,
  memoryTokenStore,
  type CookieDocument,
  type CookieTokenStoreOptions,
  type TokenStore,
} from './token-store.ts';
