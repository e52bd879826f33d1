// The typed client over the wasm module: loads the module once, forwards each call to the Rust
// core, and turns what it rejects with into `AppSyncError` subclasses.
import initWasm, { WasmClient, type WasmMutationCache } from '../pkg/appsync_wasm.js';
import { CacheError, toAppSyncError } from './errors.js';
import { openStore } from './store.js';
import { OutboxEvents, Subscription, WatchedQuery, toOutcome, type Cancellable, type SubscriptionHandle } from './subscription.js';
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
  GraphQLResponse,
  JsonObject,
  SubscriptionEvent,
  WatchResult,
} from './types.js';

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

/** Runs a call into the wasm module, turning what it throws or rejects with into `AppSyncError`s. */
async function mapped<T>(call: () => Promise<unknown> | unknown): Promise<T> {
  try {
    return (await call()) as T;
  } catch (error) {
    throw toAppSyncError(error);
  }
}

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

/** A mutation `mutate` took: queued (offline support on) or already answered. */
export class PendingMutation<TData = JsonObject> {
  readonly #outcome: () => Promise<MutationOutcome<TData>>;

  /** @internal */
  constructor(
    /** The client mutation id. */
    readonly id: string,
    outcome: () => Promise<MutationOutcome<TData>>,
  ) {
    this.#outcome = outcome;
  }

  /** Resolves to the outcome (for as long as the device is offline). */
  outcome(): Promise<MutationOutcome<TData>> {
    return this.#outcome();
  }

  /**
   * Resolves to the server's answer (for as long as the device is offline); null when the
   * mutation was discarded. A parked mutation rejects with the `AppSyncError` that parked it (it
   * stays queued: retry, edit or discard it).
   */
  async response(): Promise<GraphQLResponse<TData> | null> {
    const outcome = await this.#outcome();
    if (outcome.type === 'succeeded') return { data: outcome.data, errors: outcome.errors };
    if (outcome.type === 'parked') throw outcome.error;
    return null;
  }
}

/**
 * An AppSync client: queries, mutations and realtime subscriptions with every AppSync auth mode,
 * over a normalized cache persisted in IndexedDB.
 */
export class AppSyncClient {
  /** `null` once `close()` ran. */
  #client: WasmClient | null;
  /** `mutate` goes through the outbox unless `disableOffline`. */
  readonly #offline: boolean;
  /** The connectivity listeners added to the page (removed by `close()`). */
  #listeners: [string, () => void][] = [];
  /** The running subscriptions, watches and outbox event streams (ended by `close()`). */
  readonly #streams = new Set<SubscriptionHandle>();

  private constructor(inner: WasmClient, offline: boolean) {
    this.#client = inner;
    this.#offline = offline;
  }

  /** The wasm client; once closed, an `Error` saying so (a call on a closed client is a bug in the app, like Kotlin's `IllegalStateException`). */
  get #inner(): WasmClient {
    if (this.#client === null) throw new Error('this AppSyncClient was closed (close()); create a new one');
    return this.#client;
  }

  /**
   * Releases the client: its subscriptions, watched queries and outbox event streams are ended
   * (a `for await` over one finishes), then its cache and outbox in memory (what is persisted
   * stays in IndexedDB for the next client), its realtime connections and its page listeners go,
   * now rather than when the garbage collector gets to a client the app dropped. Later calls throw (or reject with) an
   * `Error`; closing again does nothing.
   */
  close(): void {
    // Ended first: each holds the engine's client too, and a `for await` over one finishes.
    for (const stream of [...this.#streams]) stream.unsubscribe();
    const target = globalThis as { removeEventListener?: (type: string, listener: () => void) => void };
    for (const [type, listener] of this.#listeners) target.removeEventListener?.(type, listener);
    this.#listeners = [];
    this.#client?.free();
    this.#client = null;
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

  /** A stream of this client's: `make` builds it over `start`; it is followed until it ends, so `close()` can end it. */
  #stream<S extends SubscriptionHandle>(
    make: (start: (deliver: (raw: unknown) => void) => Cancellable) => S,
    start: (deliver: (raw: unknown) => void) => Cancellable,
  ): S {
    const streams = this.#streams;
    let stream: S | undefined;
    let ended = false;
    const made = make((deliver) => {
      const handle = start(deliver);
      return {
        unsubscribe: () => {
          ended = true;
          if (stream !== undefined) streams.delete(stream);
          handle.unsubscribe();
        },
        free: () => handle.free(),
      };
    });
    stream = made;
    if (!ended) streams.add(made);
    return made;
  }

  static #report(client: { deref(): AppSyncClient | undefined }, online: boolean): void {
    const alive = client.deref();
    if (alive !== undefined) alive.#client?.setNetworkOnline(online);
  }

  /** Follows the browser's connectivity (`navigator.onLine`, `online` / `offline` events) for the outbox. */
  #followConnectivity(): void {
    const target = globalThis as { addEventListener?: (type: string, listener: () => void) => void; navigator?: { onLine?: boolean } };
    if (typeof target.addEventListener !== 'function') return;
    if (target.navigator?.onLine === false) this.#inner.setNetworkOnline(false);
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
    return mapped(() => this.#inner.enqueueMutation(request, optimisticResponse ?? null, mutationId ?? null, updateForWasm(update)));
  }

  /** Resolves to a queued mutation's outcome (for as long as the device is offline). */
  async mutationOutcome<TData = JsonObject>(id: string): Promise<MutationOutcome<TData>> {
    return toOutcome<TData>(await mapped(() => this.#inner.mutationOutcome(id)));
  }

  /** Every queued mutation in order, pending and parked. */
  outboxEntries(): Promise<QueuedMutation[]> {
    return mapped(() => this.#inner.outboxEntries());
  }

  /** Sends a parked mutation again. */
  retryMutation(id: string): Promise<void> {
    return mapped(() => this.#inner.retryMutation(id));
  }

  /** Replaces a queued mutation's variables (and optimistic response, when given). */
  editMutation(id: string, variables: JsonObject, optimisticResponse?: JsonObject): Promise<void> {
    return mapped(() => this.#inner.editMutation(id, variables, optimisticResponse ?? null));
  }

  /** Removes a queued mutation for good; its optimistic response is rolled back. */
  discardMutation(id: string): Promise<void> {
    return mapped(() => this.#inner.discardMutation(id));
  }

  /** Reports connectivity yourself (the browser's events are followed already). */
  setNetworkOnline(online: boolean): void {
    this.#inner.setNetworkOnline(online);
  }

  /** Sets (or clears, with `null`) the conflict resolver; without one, conflicts park the mutation. */
  setConflictResolver(resolver: ConflictResolver | null): void {
    const wrapped =
      resolver === null
        ? null
        : async (raw: unknown) => await resolver(raw as Conflict);
    try {
      this.#inner.setConflictResolver(wrapped);
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
      return this.#stream((start) => new OutboxEvents(start, onEvent), (deliver) => this.#inner.watchOutbox(deliver));
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /** Resolves once the cache's database is open; rejects with a `CacheError` if it cannot be (queries still reach the network). */
  hydrated(): Promise<void> {
    return mapped(() => this.#inner.hydrated());
  }

  /**
   * Watches a query: the cached result (when the cache holds all of it), the network's per
   * `fetchPolicy`, then a new result whenever a record it reads changes (another query, a
   * mutation, a subscription event, a cache write). A failed network fetch is an `error` result
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
      return this.#stream((start) => new WatchedQuery<TData>(start, onResult), (deliver) => this.#inner.watchQuery(request, deliver));
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
    return mapped(() => this.#inner.readQuery(request));
  }

  /**
   * Writes `data` as the query's result: normalized, persisted, watchers notified. Resolves to
   * what did not match the document (stored as far as it was valid).
   */
  writeQuery<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
    data: TData,
  ): Promise<string[]> {
    return mapped(() => this.#inner.writeQuery(request, data));
  }

  /** Reads one entity through a fragment document; `null` when the cache lacks part of it. */
  readFragment<TData = JsonObject, TVariables extends object = JsonObject>(
    options: FragmentOptions<TVariables>,
  ): Promise<TData | null> {
    return mapped(() => this.#inner.readFragment(options));
  }

  /** Writes `data` as the fields of one entity through a fragment document. */
  writeFragment<TData = JsonObject, TVariables extends object = JsonObject>(
    options: FragmentOptions<TVariables> & { data: TData },
  ): Promise<string[]> {
    return mapped(() => this.#inner.writeFragment(options));
  }

  /** Removes one record (e.g. `Todo:1`); queries reading it then miss. */
  evict(key: string): Promise<void> {
    return mapped(() => this.#inner.evict(key));
  }

  /** Drops the records no query reaches; resolves to their keys. */
  gc(): Promise<string[]> {
    return mapped(() => this.#inner.gc());
  }

  /** Every cached record, as one object. */
  extract(): Promise<JsonObject> {
    return mapped(() => this.#inner.extract());
  }

  /** Replaces the cache's records with a snapshot from `extract()`. */
  restore(snapshot: JsonObject): Promise<void> {
    return mapped(() => this.#inner.restore(snapshot));
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
    let response: GraphQLResponse<TData>;
    try {
      response = (await this.#inner.mutate(request, updateForWasm(update))) as GraphQLResponse<TData>;
    } catch (error) {
      throw toAppSyncError(error);
    }
    const outcome: MutationOutcome<TData> = { type: 'succeeded', data: response.data, errors: response.errors };
    return new PendingMutation<TData>(mutationId ?? crypto.randomUUID(), async () => outcome);
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
      return this.#stream((start) => new Subscription<TData>(start, onEvent), (deliver) => this.#inner.subscribe(request, deliver));
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /** Reconnects every realtime connection now: call it when the device's network changes. */
  reconnectRealtime(): void {
    this.#inner.reconnectRealtime();
  }
}
