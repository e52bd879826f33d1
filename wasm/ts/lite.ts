// @appsync-rs/client/lite: the online AppSync client alone (queries, mutations, subscriptions,
// every auth mode) over a build of the Rust core without the normalized cache and the offline
// outbox, for pages that want no more: a module about half the size of the full one.
import initWasm, { WasmClient } from '../pkg-lite/appsync_wasm.js';
import { loader, OnlineClient, sentMutation, type PendingMutation, type WasmSource } from './base.js';
import { toAppSyncError } from './errors.js';
import type { AuthProviders, GraphQLRequest, JsonObject } from './types.js';

/**
 * Loads the lite WebAssembly module. `create` calls it for you with the default location (the
 * `.wasm` file next to the package's JS); call it first to load from elsewhere (a URL, a
 * `Response`, bytes or a compiled `WebAssembly.Module`). Calling it again does nothing.
 */
export const initAppSync: (wasm?: WasmSource | Promise<WasmSource>) => Promise<void> = loader(initWasm);

/**
 * An AppSync client without a cache: every query asks the network and nothing is kept (as if
 * over a cache that is always empty: `fetchPolicy: 'cache-only'` misses with a
 * `GraphQLResponseError` of type `CacheMiss`, every other policy fetches), and mutations are sent
 * at once. The same API as the full `AppSyncClient` of `@appsync-rs/client` without the cache's
 * and the outbox's methods, so a page can move to the full one without other changes.
 */
export class AppSyncClient extends OnlineClient<WasmClient> {
  private constructor(inner: WasmClient) {
    super(inner);
  }

  /**
   * Builds a client from an `amplify_outputs.json` (Gen 2) or `amplifyconfiguration.json` /
   * aws-exports (Gen 1) config, given as its text (or parsed), `sourceName` naming it in errors.
   * Rejects with a `ConfigError` when the config cannot be used.
   */
  static async create(config: string | JsonObject, sourceName: string, providers: AuthProviders = {}): Promise<AppSyncClient> {
    await initAppSync();
    const text = typeof config === 'string' ? config : JSON.stringify(config);
    try {
      return new AppSyncClient(new WasmClient(text, sourceName, providers));
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /**
   * Sends a mutation at once; resolves to its handle once the server answered (`response()` is
   * the answer), rejects with an `AppSyncError` subclass. `mutationId` names the handle (a random
   * UUID without it).
   */
  mutate<TData = JsonObject, TVariables extends object = JsonObject>(
    mutation: GraphQLRequest<TVariables> & { mutationId?: string },
  ): Promise<PendingMutation<TData>> {
    const { mutationId, ...request } = mutation;
    return sentMutation<TData>(() => this.engine.mutate(request), mutationId);
  }
}

export * from './common.js';
