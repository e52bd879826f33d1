// The full typed client over the full wasm module (cache, outbox): loads the module once,
// forwards each call to the Rust core, and turns what it rejects with into `AppSyncError`
// subclasses. The online part it shares with the lite entry is `OnlineClient` (base.ts).
import initWasm, { WasmClient, type WasmMutationCache } from '../pkg/appsync_wasm.js';
import { loader, mapped, OnlineClient, PendingMutation, sentMutation, type WasmSource } from './base.js';
import { CacheError, toAppSyncError } from './errors.js';
import { openStore } from './store.js';
import { OutboxEvents, WatchedQuery, toOutcome, type SubscriptionHandle } from './subscription.js';
import type {
  AuthProviders,
  ClientOptions,
  Conflict,
  ConflictResolver,
  MutationCache,
  MutationOutcome,
  MutationUpdate,
  OfflineMutation,
  OutboxEvent,
  QueuedMutation,
  FragmentOptions,
  GraphQLRequest,
  JsonObject,
  WatchResult,
} from './types.js';

/**
 * Loads the WebAssembly module. `create` calls it for you with the default location (the
 * `.wasm` file next to the package's JS); call it first to load from elsewhere (a URL, a
 * `Response`, bytes or a compiled `WebAssembly.Module`). Calling it again does nothing.
 */
export const initAppSync: (wasm?: WasmSource | Promise<WasmSource>) => Promise<void> = loader(initWasm);

/** The wasm module's cache view with typed errors, usable during its update function's pass. */
class UpdateCacheView implements MutationCache {
  #raw: WasmMutationCache | null;
  readonly #optimistic: boolean;

  constructor(raw: WasmMutationCache) {
    this.#raw = raw;
    this.#optimistic = raw.isOptimistic;
  }

  get isOptimistic(): boolean {
    return this.#optimistic;
  }

  /** Ends the pass: the module's view is freed, later calls reject like the core's own refusal. */
  close(): void {
    this.#raw?.free();
    this.#raw = null;
  }

  #call<T>(call: (raw: WasmMutationCache) => Promise<unknown>): Promise<T> {
    const raw = this.#raw;
    if (raw === null) return Promise.reject(new CacheError("this update function's cache was used after its pass ended", false));
    return mapped(() => call(raw));
  }

  readQuery<TData = JsonObject, TVariables extends object = JsonObject>(request: GraphQLRequest<TVariables>): Promise<TData | null> {
    return this.#call((raw) => raw.readQuery(request));
  }

  readFragment<TData = JsonObject, TVariables extends object = JsonObject>(options: FragmentOptions<TVariables>): Promise<TData | null> {
    return this.#call((raw) => raw.readFragment(options));
  }

  writeQuery<TData = JsonObject, TVariables extends object = JsonObject>(request: GraphQLRequest<TVariables>, data: TData): Promise<string[]> {
    return this.#call((raw) => raw.writeQuery(request, data));
  }
}

/** The app's update function as the wasm module calls it; the cache view is closed after it settles. */
function updateForWasm<TData>(update: MutationUpdate<TData> | undefined): ((raw: WasmMutationCache, data: TData) => Promise<void>) | null {
  if (update === undefined) return null;
  if (typeof update !== 'function') return update; // the module rejects it with a typed error
  return async (raw, data) => {
    const view = new UpdateCacheView(raw);
    try {
      await update(view, data);
    } finally {
      view.close();
    }
  };
}

/**
 * An AppSync client: queries, mutations and realtime subscriptions with every AppSync auth mode,
 * over a normalized cache persisted in IndexedDB.
 */
export class AppSyncClient extends OnlineClient<WasmClient> {
  /** `mutate` goes through the outbox unless `disableOffline`. */
  readonly #offline: boolean;
  /** The connectivity listeners added to the page (removed by `close()`). */
  #listeners: [string, () => void][] = [];

  private constructor(inner: WasmClient, offline: boolean) {
    super(inner);
    this.#offline = offline;
  }

  /**
   * Releases the client: its subscriptions, watched queries and outbox event streams are ended
   * (a `for await` over one finishes), then its cache and outbox in memory (what is persisted
   * stays in IndexedDB for the next client), its realtime connections and its page listeners go,
   * now rather than when the garbage collector gets to a client the app dropped. Later calls throw (or reject with) an
   * `Error`; closing again does nothing.
   */
  override close(): void {
    const target = globalThis as { removeEventListener?: (type: string, listener: () => void) => void };
    for (const [type, listener] of this.#listeners) target.removeEventListener?.(type, listener);
    this.#listeners = [];
    super.close();
  }

  /**
   * Builds a client from an `amplify_outputs.json` (Gen 2) or `amplifyconfiguration.json` /
   * aws-exports (Gen 1) config, given as its text (or parsed), `sourceName` naming it in errors.
   * Rejects with a `ConfigError` when the config cannot be used. The cache persists in IndexedDB
   * under `options.keyPrefix` unless `options.disableOffline`; the database opens in the
   * background (`hydrated()` waits for it).
   */
  static async create(
    config: string | JsonObject,
    sourceName: string,
    providers: AuthProviders = {},
    options: ClientOptions = {},
  ): Promise<AppSyncClient> {
    await initAppSync();
    const text = typeof config === 'string' ? config : JSON.stringify(config);
    let client: AppSyncClient;
    try {
      client = new AppSyncClient(new WasmClient(text, sourceName, providers, options, openStore), !options.disableOffline);
    } catch (error) {
      throw toAppSyncError(error);
    }
    client.#followConnectivity();
    return client;
  }

  static #report(client: { deref(): AppSyncClient | undefined }, online: boolean): void {
    const alive = client.deref();
    if (alive !== undefined) alive.openEngine?.setNetworkOnline(online);
  }

  /** Follows the browser's connectivity (`navigator.onLine`, `online` / `offline` events) for the outbox. */
  #followConnectivity(): void {
    const target = globalThis as { addEventListener?: (type: string, listener: () => void) => void; navigator?: { onLine?: boolean } };
    if (typeof target.addEventListener !== 'function') return;
    if (target.navigator?.onLine === false) this.engine.setNetworkOnline(false);
    // Through a weak reference where the engine has one: the page's listeners do not keep a
    // client the app dropped alive (its wasm memory is then freed when it is collected).
    const client: { deref(): AppSyncClient | undefined } = typeof WeakRef === 'function' ? new WeakRef(this) : { deref: () => this };
    this.#listeners = [
      ['online', () => AppSyncClient.#report(client, true)],
      ['offline', () => AppSyncClient.#report(client, false)],
    ];
    for (const [type, listener] of this.#listeners) target.addEventListener(type, listener);
  }

  /**
   * Queues a mutation in the durable outbox (IndexedDB; committed before this resolves) and shows
   * `optimisticResponse` at once; resolves to its id. It is sent in order whenever the network
   * allows, retried through network trouble, and its outcome comes through `mutationOutcome`
   * and `outboxEvents`, also after the page reloads.
   */
  enqueue<TVariables extends object = JsonObject, TData = JsonObject>(mutation: OfflineMutation<TVariables, TData>): Promise<string> {
    const { optimisticResponse, mutationId, update, ...request } = mutation;
    return mapped(() => this.engine.enqueueMutation(request, optimisticResponse ?? null, mutationId ?? null, updateForWasm(update)));
  }

  /** Resolves to a queued mutation's outcome (for as long as the device is offline). */
  async mutationOutcome<TData = JsonObject>(id: string): Promise<MutationOutcome<TData>> {
    return toOutcome<TData>(await mapped(() => this.engine.mutationOutcome(id)));
  }

  /** Every queued mutation in order, pending and parked. */
  outboxEntries(): Promise<QueuedMutation[]> {
    return mapped(() => this.engine.outboxEntries());
  }

  /** Sends a parked mutation again. */
  retryMutation(id: string): Promise<void> {
    return mapped(() => this.engine.retryMutation(id));
  }

  /** Replaces a queued mutation's variables (and optimistic response, when given). */
  editMutation(id: string, variables: JsonObject, optimisticResponse?: JsonObject): Promise<void> {
    return mapped(() => this.engine.editMutation(id, variables, optimisticResponse ?? null));
  }

  /** Removes a queued mutation for good; its optimistic response is rolled back. */
  discardMutation(id: string): Promise<void> {
    return mapped(() => this.engine.discardMutation(id));
  }

  /** Reports connectivity yourself (the browser's events are followed already). */
  setNetworkOnline(online: boolean): void {
    this.engine.setNetworkOnline(online);
  }

  /** Sets (or clears, with `null`) the conflict resolver; without one, conflicts park the mutation. */
  setConflictResolver(resolver: ConflictResolver | null): void {
    const wrapped =
      resolver === null
        ? null
        : async (raw: unknown) => await resolver(raw as Conflict);
    try {
      this.engine.setConflictResolver(wrapped);
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /**
   * The outbox's events from now on. With `onEvent` they go to it and the handle's `unsubscribe`
   * stops them; without, iterate the returned stream with `for await`.
   */
  outboxEvents(onEvent: (event: OutboxEvent) => void): SubscriptionHandle;
  outboxEvents(): OutboxEvents;
  outboxEvents(onEvent?: (event: OutboxEvent) => void): OutboxEvents {
    try {
      return this.stream((start) => new OutboxEvents(start, onEvent), (deliver) => this.engine.watchOutbox(deliver));
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /** Resolves once the cache's database is open; rejects with a `CacheError` if it cannot be (queries still reach the network). */
  hydrated(): Promise<void> {
    return mapped(() => this.engine.hydrated());
  }

  /**
   * Watches a query: the cached result (when the cache holds all of it), the network's per
   * `fetchPolicy`, then a new result whenever a record it reads changes (another query, a
   * mutation, a subscription event, a cache write) and the data it shows is not the same (a
   * change to a field the query does not select delivers nothing). A failed network fetch is an `error` result
   * and the watch goes on. With `onResult`, results go to it and the handle's `unsubscribe`
   * stops the watch; without, iterate the returned `WatchedQuery` with `for await`. Throws an
   * `AppSyncError` for a bad request. A result shares the objects of the entities that did not
   * change with the results before it, and they are frozen (see `readQuery`).
   */
  watchQuery<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
    onResult: (result: WatchResult<TData>) => void,
  ): SubscriptionHandle;
  watchQuery<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
  ): WatchedQuery<TData>;
  watchQuery<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
    onResult?: (result: WatchResult<TData>) => void,
  ): WatchedQuery<TData> {
    try {
      return this.stream((start) => new WatchedQuery<TData>(start, onResult), (deliver) => this.engine.watchQuery(request, deliver));
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /**
   * The query's data from the cache, or `null` when the cache lacks part of it. Objects of
   * cached entities (those with a key) are shared with earlier and later results as long as
   * their records do not change, and are frozen: a change the app made to one would show in
   * every later result. Lists and the objects around the entities are new for each result.
   */
  readQuery<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
  ): Promise<TData | null> {
    return mapped(() => this.engine.readQuery(request));
  }

  /**
   * Writes `data` as the query's result: normalized, persisted, watchers notified. Resolves to
   * what did not match the document (stored as far as it was valid).
   */
  writeQuery<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
    data: TData,
  ): Promise<string[]> {
    return mapped(() => this.engine.writeQuery(request, data));
  }

  /** Reads one entity through a fragment document; `null` when the cache lacks part of it. */
  readFragment<TData = JsonObject, TVariables extends object = JsonObject>(
    options: FragmentOptions<TVariables>,
  ): Promise<TData | null> {
    return mapped(() => this.engine.readFragment(options));
  }

  /** Writes `data` as the fields of one entity through a fragment document. */
  writeFragment<TData = JsonObject, TVariables extends object = JsonObject>(
    options: FragmentOptions<TVariables> & { data: TData },
  ): Promise<string[]> {
    return mapped(() => this.engine.writeFragment(options));
  }

  /** Removes one record (e.g. `Todo:1`); queries reading it then miss. */
  evict(key: string): Promise<void> {
    return mapped(() => this.engine.evict(key));
  }

  /** Drops the records no query reaches; resolves to their keys. */
  gc(): Promise<string[]> {
    return mapped(() => this.engine.gc());
  }

  /** Every cached record, as one object. */
  extract(): Promise<JsonObject> {
    return mapped(() => this.engine.extract());
  }

  /** Replaces the cache's records with a snapshot from `extract()`. */
  restore(snapshot: JsonObject): Promise<void> {
    return mapped(() => this.engine.restore(snapshot));
  }

  /**
   * Runs a mutation the offline-first way. With offline support on (the default) it is queued
   * durably (see `enqueue`) and `optimisticResponse` shown in the cache at once; it is sent in
   * order when the network allows, and the handle resolves before the server answers: await
   * `response()` for the answer. With `disableOffline` it is sent at once and a failure rejects
   * here, with an `AppSyncError` subclass.
   */
  async mutate<TData = JsonObject, TVariables extends object = JsonObject>(
    mutation: OfflineMutation<TVariables, TData>,
  ): Promise<PendingMutation<TData>> {
    if (this.#offline) {
      const id = await this.enqueue(mutation);
      return new PendingMutation<TData>(id, () => this.mutationOutcome<TData>(id));
    }
    const { optimisticResponse: _, mutationId, update, ...request } = mutation;
    return sentMutation<TData>(() => this.engine.mutate(request, updateForWasm(update)), mutationId);
  }
}
