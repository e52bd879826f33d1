// The typed client over the wasm module: loads the module once, forwards each call to the Rust
// core, and turns what it rejects with into `AppSyncError` subclasses.
import initWasm, { WasmClient } from '../pkg/appsync_wasm.js';
import { toAppSyncError } from './errors.js';
import { Subscription, type SubscriptionHandle } from './subscription.js';
import type { AuthProviders, GraphQLRequest, GraphQLResponse, JsonObject, SubscriptionEvent } from './types.js';

let loading: Promise<void> | undefined;

/** Where the WebAssembly module comes from: its URL, a fetch `Response`, its bytes, or a compiled module. */
export type WasmSource = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the WebAssembly module. `create` calls it for you with the default location (the
 * `.wasm` file next to the package's JS); call it first to load from elsewhere (a URL, a
 * `Response`, bytes or a compiled `WebAssembly.Module`). Calling it again does nothing.
 */
export function initAppSync(wasm?: WasmSource | Promise<WasmSource>): Promise<void> {
  loading ??= initWasm(wasm === undefined ? undefined : { module_or_path: wasm }).then(
    () => undefined,
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/** An AppSync client: queries, mutations and realtime subscriptions with every AppSync auth mode. */
export class AppSyncClient {
  readonly #inner: WasmClient;

  private constructor(inner: WasmClient) {
    this.#inner = inner;
  }

  /**
   * Builds a client from an `amplify_outputs.json` (Gen 2) or `amplifyconfiguration.json` /
   * aws-exports (Gen 1) config, given as its text (or parsed), `sourceName` naming it in errors.
   * Rejects with a `ConfigError` when the config cannot be used.
   */
  static async create(
    config: string | JsonObject,
    sourceName: string,
    providers: AuthProviders = {},
  ): Promise<AppSyncClient> {
    await initAppSync();
    const text = typeof config === 'string' ? config : JSON.stringify(config);
    try {
      return new AppSyncClient(new WasmClient(text, sourceName, providers));
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /** Runs a query. Rejects with an `AppSyncError` subclass. */
  async query<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
  ): Promise<GraphQLResponse<TData>> {
    try {
      return (await this.#inner.query(request)) as GraphQLResponse<TData>;
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /** Runs a mutation. Rejects with an `AppSyncError` subclass. */
  async mutate<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
  ): Promise<GraphQLResponse<TData>> {
    try {
      return (await this.#inner.mutate(request)) as GraphQLResponse<TData>;
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /**
   * Starts a subscription. With `onEvent`, each event is passed to it and the returned handle's
   * `unsubscribe` stops it; without, the returned `Subscription` is iterated with `for await`.
   * Throws an `AppSyncError` when the request cannot be sent (bad document or variables).
   */
  subscribe<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
    onEvent: (event: SubscriptionEvent<TData>) => void,
  ): SubscriptionHandle;
  subscribe<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
  ): Subscription<TData>;
  subscribe<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
    onEvent?: (event: SubscriptionEvent<TData>) => void,
  ): Subscription<TData> {
    try {
      return new Subscription<TData>((deliver) => this.#inner.subscribe(request, deliver), onEvent);
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /** Reconnects every realtime connection now: call it when the device's network changes. */
  reconnectRealtime(): void {
    this.#inner.reconnectRealtime();
  }
}
