// @appsync-rs/client: the appsync-rs Rust core in the browser, with a typed API. What the lite
// entry has too comes from common.ts; the rest is the cache's and the outbox's.
export * from './common.js';
export { AppSyncClient, initAppSync } from './client.js';
export { OutboxEvents, WatchedQuery } from './subscription.js';
export { CacheError } from './errors.js';
export type {
  ClientOptions,
  Conflict,
  ConflictResolution,
  ConflictResolver,
  FragmentOptions,
  MutationCache,
  MutationUpdate,
  OfflineMutation,
  OutboxEvent,
  ParkReason,
  QueuedMutation,
  WatchResult,
} from './types.js';
