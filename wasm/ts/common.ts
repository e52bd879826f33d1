// What both entries of the package export (index.ts, the full one, and lite.ts): the online
// client's base class, its handles, the error classes and the types of the online API.
export { OnlineClient, PendingMutation, type WasmSource } from './base.js';
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
  FetchPolicy,
  GraphQLError,
  GraphQLRequest,
  GraphQLResponse,
  HeaderProvider,
  JsonObject,
  JsonValue,
  MutationOutcome,
  SubscriptionEvent,
  TokenProvider,
} from './types.js';
