// @appsync-rs/client: the appsync-rs Rust core in the browser, with a typed API.
export { AppSyncClient, initAppSync, type WasmSource } from './client.js';
export { Subscription, WatchedQuery, type SubscriptionHandle } from './subscription.js';
export {
  AppSyncError,
  AuthError,
  CacheError,
  ConfigError,
  GraphQLResponseError,
  HttpError,
  InvalidDocumentError,
  InvalidResponseError,
  NetworkError,
  TimeoutError,
  type ErrorCode,
} from './errors.js';
export type {
  AuthMode,
  AuthProviders,
  AuthToken,
  AwsCredentials,
  ClientOptions,
  ConnectionState,
  CredentialsProvider,
  ErrorLocation,
  ErrorPolicy,
  FetchPolicy,
  FragmentOptions,
  GraphQLError,
  GraphQLRequest,
  GraphQLResponse,
  HeaderProvider,
  JsonObject,
  JsonValue,
  SubscriptionEvent,
  TokenProvider,
  WatchResult,
} from './types.js';
