// @appsync-rs/client: the appsync-rs Rust core in the browser, with a typed API.
export { AppSyncClient, initAppSync, type WasmSource } from './client.js';
export { Subscription, type SubscriptionHandle } from './subscription.js';
export {
  AppSyncError,
  AuthError,
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
  ConnectionState,
  CredentialsProvider,
  ErrorLocation,
  ErrorPolicy,
  GraphQLError,
  GraphQLRequest,
  GraphQLResponse,
  HeaderProvider,
  JsonObject,
  JsonValue,
  SubscriptionEvent,
  TokenProvider,
} from './types.js';
