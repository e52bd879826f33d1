// The public request, response, provider and event types of the package (what the wasm module
// accepts and produces, typed; the module itself declares its arguments as `unknown`).
import type { AppSyncError } from './errors.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** AppSync's auth modes, by the names AppSync and the config files use. */
export type AuthMode =
  | 'API_KEY'
  | 'AWS_IAM'
  | 'AMAZON_COGNITO_USER_POOLS'
  | 'OPENID_CONNECT'
  | 'AWS_LAMBDA'
  | 'NONE';

/**
 * Where a query's result comes from (Apollo's names). Default `'cache-and-network'`: the network's
 * result, written to the cache; a watched query shows the cached result first. `'cache-only'`
 * rejects with a `GraphQLResponseError` of `errorType` `CacheMiss` when the cache lacks part of it.
 */
export type FetchPolicy = 'cache-first' | 'cache-and-network' | 'network-only' | 'cache-only' | 'no-cache';

/** `'none'`: any GraphQL error rejects with a `GraphQLResponseError`; `'all'`: resolve with `data` and `errors`. */
export type ErrorPolicy = 'none' | 'all';

/** One query, mutation or subscription. */
export interface GraphQLRequest<TVariables extends object = JsonObject> {
  /** The GraphQL document. */
  query: string;
  variables?: TVariables;
  operationName?: string;
  /** Overrides the config's default auth mode for this request. */
  authMode?: AuthMode;
  /** Extra headers for this request only. */
  headers?: Record<string, string>;
  timeoutMs?: number;
  errorPolicy?: ErrorPolicy;
  /** Queries: where the result comes from. Mutations: `'no-cache'` keeps the result out of the cache. */
  fetchPolicy?: FetchPolicy;
}

/** Client settings that are not in the Amplify config. */
export interface ClientOptions {
  /** The namespace in the database: clients with different prefixes never share data. Default: the endpoint. */
  keyPrefix?: string;
  /** The IndexedDB database the cache persists in. Default `'appsync'`. */
  databaseName?: string;
  /**
   * Keep the cache in memory only and send mutations at once instead of queuing them. (Where
   * there is no IndexedDB, as in Node, the cache is memory only anyway.)
   */
  disableOffline?: boolean;
  /** The outbox's first retry waits up to this many milliseconds, doubling per attempt (full jitter). Default 500. */
  retryBaseMs?: number;
  /** The longest wait between retries, in milliseconds. Default 60000. */
  retryCapMs?: number;
  /** Conflict retries a resolver gets before the mutation is parked. Default 10. */
  maxConflictRetries?: number;
  /**
   * How long the outbox's drain lease lasts unrenewed, in milliseconds: one tab drains a given
   * outbox at a time, and a closed tab's lease lapses after this long. Default 5000.
   */
  leaseTtlMs?: number;
}

/** Reads or writes one entity (`key`, e.g. `Todo:1`) through a fragment document. */
export interface FragmentOptions<TVariables extends object = JsonObject> {
  /** The fragment document, e.g. `fragment TodoName on Todo { name }`. */
  fragment: string;
  key: string;
  /** Which fragment, when the document holds several. */
  fragmentName?: string;
  variables?: TVariables;
}

/** One emission of a watched query: a result (cached, or new after a change), or a network failure after which the watch goes on. */
export type WatchResult<TData = JsonObject> =
  | { type: 'result'; data: TData | null; errors: GraphQLError[] }
  | { type: 'error'; error: AppSyncError };

export interface ErrorLocation {
  line: number;
  column: number;
}

/** One entry of a response's `errors`, with every field AppSync sends. */
export interface GraphQLError {
  message: string;
  /** e.g. `Unauthorized`, `ConflictUnhandled`, `DynamoDB:ConditionalCheckFailedException`. */
  errorType?: string;
  errorInfo?: JsonValue;
  /** For conflicts: the server's current item. */
  data?: JsonValue;
  path?: (string | number)[];
  locations?: ErrorLocation[];
  extensions?: JsonObject;
}

/** A GraphQL response: both fields may be set (partial success with `errorPolicy: 'all'`). */
export interface GraphQLResponse<TData = JsonObject> {
  data: TData | null;
  errors: GraphQLError[];
}

/** A bearer token for user pools, OIDC or Lambda auth. */
export interface AuthToken {
  token: string;
  /** Epoch milliseconds; when absent, read from the JWT's `exp` (or never expires). */
  expiresAtMs?: number;
}

/** AWS credentials for IAM (SigV4 is computed inside the client). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Epoch milliseconds; absent for long-lived keys. */
  expiresAtMs?: number;
}

/** `forceRefresh` is true when the last token was rejected or expired: fetch a new one. */
export type TokenProvider = (forceRefresh: boolean) => Promise<AuthToken> | AuthToken;
export type CredentialsProvider = (forceRefresh: boolean) => Promise<AwsCredentials> | AwsCredentials;
/** Called for every request; the headers are added to it. */
export type HeaderProvider = () => Promise<Record<string, string>> | Record<string, string>;

/** The app's credential sources, one per auth mode that needs one. */
export interface AuthProviders {
  userPools?: TokenProvider;
  oidc?: TokenProvider;
  lambda?: TokenProvider;
  iam?: CredentialsProvider;
  headers?: HeaderProvider;
}

/** The state of the realtime connection a subscription is on. */
export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'connected' }
  | { status: 'disrupted'; reason: string }
  | { status: 'reconnecting'; attempt: number }
  | { status: 'disconnected' };

/** What a subscription delivers. `completed` and `failed` are its last events. */
export type SubscriptionEvent<TData = JsonObject> =
  | { type: 'started' }
  | { type: 'data'; data: TData }
  | { type: 'errors'; errors: GraphQLError[] }
  /** Live again after a reconnect: events in between may have been missed; catch up now. */
  | { type: 'resubscribed' }
  | { type: 'connectionState'; state: ConnectionState }
  | { type: 'completed' }
  | { type: 'failed'; error: AppSyncError };

/** Why a queued mutation waits for the app. */
export type ParkReason = 'REJECTED' | 'UNAUTHORIZED' | 'CONFLICT';

/** How a queued mutation ended. */
export type MutationOutcome<TData = JsonObject> =
  | { type: 'succeeded'; data: TData | null; errors: GraphQLError[] }
  /** Waiting for the app: `retryMutation`, `editMutation` or `discardMutation`. */
  | { type: 'parked'; reason: ParkReason; code: string; message: string; error: AppSyncError }
  | { type: 'discarded' };

/** What the outbox reports, in order. */
export type OutboxEvent =
  | { type: 'enqueued'; id: string }
  | { type: 'sending'; id: string; attempt: number }
  /** A retryable failure; the next attempt after `delayMs`, sooner when back online. */
  | { type: 'retrying'; id: string; attempt: number; delayMs: number; code: string; message: string }
  | { type: 'done'; id: string; outcome: MutationOutcome }
  /** The network status changed (the browser's `online` / `offline` events, or learned from a request). */
  | { type: 'network'; online: boolean };

/** A queued mutation, pending or parked. */
export interface QueuedMutation {
  id: string;
  document: string;
  variables: JsonObject | null;
  optimisticResponse: JsonObject | null;
  enqueuedAtMs: number;
  attempts: number;
  parked: null | { reason: ParkReason; message: string; errorType: string | null; serverData: JsonValue };
}

/** A mutation for the outbox: the request, what to show at once, and an optional client id. */
export interface OfflineMutation<TVariables extends object = JsonObject, TData = JsonObject> extends GraphQLRequest<TVariables> {
  /** The expected `data`, shown at once (as a cache layer) until the server answers. */
  optimisticResponse?: JsonObject;
  /** The client mutation id (generated when absent). */
  mutationId?: string;
  /** Keeps other cached queries in step with this mutation (see `MutationUpdate`). */
  update?: MutationUpdate<TData>;
}

/**
 * The cache as a `MutationUpdate` sees it, valid during that call. Reads see everything,
 * optimistic layers too; `writeQuery` writes into the mutation's optimistic layer on the
 * optimistic pass (rolled back with it) and into the cache itself on the server's answer.
 */
export interface MutationCache {
  /** True on the optimistic pass, false on the server's answer. */
  readonly isOptimistic: boolean;
  readQuery<TData = JsonObject, TVariables extends object = JsonObject>(request: GraphQLRequest<TVariables>): Promise<TData | null>;
  readFragment<TData = JsonObject, TVariables extends object = JsonObject>(options: FragmentOptions<TVariables>): Promise<TData | null>;
  /** Resolves to what did not match the document. */
  writeQuery<TData = JsonObject, TVariables extends object = JsonObject>(request: GraphQLRequest<TVariables>, data: TData): Promise<string[]>;
}

/**
 * Like Apollo's `update(cache, result)`: runs on the optimistic response (when there is one) and
 * again on the server's answer (`data` is the mutation's `data`), so it must be idempotent: write
 * what a list should hold, don't append blindly. It lives in memory: a mutation queued before a
 * page reload replays without it (its result still reaches the cache). What it throws or rejects
 * with is ignored; the mutation goes on.
 */
export type MutationUpdate<TData = JsonObject> = (cache: MutationCache, data: TData) => Promise<void> | void;

/** A conflict, for the app's resolver. */
export interface Conflict {
  mutationId: string;
  document: string;
  variables: JsonObject | null;
  /** The server's current item, when it could be had. */
  serverData: JsonObject | null;
  /** How often this mutation was already retried after a conflict. */
  retries: number;
  /** `ConflictUnhandled` or `DynamoDB:ConditionalCheckFailedException`. */
  errorType: string;
}

/** What the resolver decides. */
export type ConflictResolution =
  | { type: 'retry'; variables: JsonObject }
  | { type: 'discard' }
  | { type: 'park' };

/** Settles conflicts. Without one, a conflicted mutation is parked (the same default on every platform). */
export type ConflictResolver = (conflict: Conflict) => Promise<ConflictResolution> | ConflictResolution;
