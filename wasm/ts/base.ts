// What the package's two entries share: loading a wasm module once, typed errors, and the online
// client (query, mutate's handle, subscribe, reconnectRealtime, close) that the full
// `AppSyncClient` (`@appsync-rs/client`: cache, outbox) and the lite one
// (`@appsync-rs/client/lite`: no cache, a smaller module) both are.
import { toAppSyncError } from './errors.js';
import { Subscription, type Cancellable, type SubscriptionHandle } from './subscription.js';
import type { GraphQLRequest, GraphQLResponse, JsonObject, MutationOutcome, SubscriptionEvent } from './types.js';

/** Where the WebAssembly module comes from: its URL, a fetch `Response`, its bytes, or a compiled module. */
export type WasmSource = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** wasm-bindgen's init function of one build. */
type InitWasm = (input?: { module_or_path: WasmSource | Promise<WasmSource> }) => Promise<unknown>;

/** The `initAppSync` of one build: loads its module once; a failed load can be tried again. */
export function loader(initWasm: InitWasm): (wasm?: WasmSource | Promise<WasmSource>) => Promise<void> {
  let loading: Promise<void> | undefined;
  return (wasm) => {
    loading ??= initWasm(wasm === undefined ? undefined : { module_or_path: wasm }).then(
      () => undefined,
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
}

/** Runs a call into the wasm module, turning what it throws or rejects with into `AppSyncError`s. */
export async function mapped<T>(call: () => Promise<unknown> | unknown): Promise<T> {
  try {
    return (await call()) as T;
  } catch (error) {
    throw toAppSyncError(error);
  }
}

/** A mutation `mutate` took: queued (the full client with offline support on) or already answered. */
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

/** A mutation sent at once: its answer as a `PendingMutation` (or the rejection, as an `AppSyncError`). */
export async function sentMutation<TData>(send: () => Promise<unknown>, mutationId: string | undefined): Promise<PendingMutation<TData>> {
  const response = await mapped<GraphQLResponse<TData>>(send);
  const outcome: MutationOutcome<TData> = { type: 'succeeded', data: response.data, errors: response.errors };
  return new PendingMutation<TData>(mutationId ?? crypto.randomUUID(), async () => outcome);
}

/** What the shared part needs of a build's wasm client. */
export interface Engine {
  query(request: unknown): Promise<unknown>;
  subscribe(request: unknown, onEvent: (event: unknown) => void): Cancellable;
  reconnectRealtime(): void;
  free(): void;
}

/**
 * The online AppSync client both entries are: queries, mutations and realtime subscriptions with
 * every AppSync auth mode. `AppSyncClient` of `@appsync-rs/client` adds the normalized cache and
 * the offline outbox; that of `@appsync-rs/client/lite` is this alone.
 */
export abstract class OnlineClient<E extends Engine = Engine> {
  /** `null` once `close()` ran. */
  #engine: E | null;
  /** The running subscriptions, watches and outbox event streams (ended by `close()`). */
  readonly #streams = new Set<SubscriptionHandle>();

  protected constructor(engine: E) {
    this.#engine = engine;
  }

  /** The wasm client; once closed, an `Error` saying so (a call on a closed client is a bug in the app, like Kotlin's `IllegalStateException`). */
  protected get engine(): E {
    if (this.#engine === null) throw new Error('this AppSyncClient was closed (close()); create a new one');
    return this.#engine;
  }

  /** The wasm client, or `null` once closed. */
  protected get openEngine(): E | null {
    return this.#engine;
  }

  /**
   * Releases the client: its subscriptions (and the full client's watched queries and outbox
   * event streams) are ended (a `for await` over one finishes), then what it holds in memory and
   * its realtime connections go, now rather than when the garbage collector gets to a client the
   * app dropped. Later calls throw (or reject with) an `Error`; closing again does nothing.
   */
  close(): void {
    // Ended first: each holds the engine's client too, and a `for await` over one finishes.
    for (const stream of [...this.#streams]) stream.unsubscribe();
    this.#engine?.free();
    this.#engine = null;
  }

  /** A stream of this client's: `make` builds it over `start`; it is followed until it ends, so `close()` can end it. */
  protected stream<S extends SubscriptionHandle>(
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

  /** Runs a query. Rejects with an `AppSyncError` subclass. */
  query<TData = JsonObject, TVariables extends object = JsonObject>(request: GraphQLRequest<TVariables>): Promise<GraphQLResponse<TData>> {
    return mapped(() => this.engine.query(request));
  }

  /**
   * Runs a mutation; resolves to its handle (`response()` is the server's answer). See each
   * entry's `AppSyncClient` for when it is sent.
   */
  abstract mutate<TData = JsonObject, TVariables extends object = JsonObject>(
    mutation: GraphQLRequest<TVariables> & { mutationId?: string },
  ): Promise<PendingMutation<TData>>;

  /**
   * Starts a subscription. With `onEvent`, each event is passed to it and the returned handle's
   * `unsubscribe` stops it; without, the returned `Subscription` is iterated with `for await`.
   * Throws an `AppSyncError` when the request cannot be sent (bad document or variables).
   */
  subscribe<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
    onEvent: (event: SubscriptionEvent<TData>) => void,
  ): SubscriptionHandle;
  subscribe<TData = JsonObject, TVariables extends object = JsonObject>(request: GraphQLRequest<TVariables>): Subscription<TData>;
  subscribe<TData = JsonObject, TVariables extends object = JsonObject>(
    request: GraphQLRequest<TVariables>,
    onEvent?: (event: SubscriptionEvent<TData>) => void,
  ): Subscription<TData> {
    try {
      return this.stream((start) => new Subscription<TData>(start, onEvent), (deliver) => this.engine.subscribe(request, deliver));
    } catch (error) {
      throw toAppSyncError(error);
    }
  }

  /** Reconnects every realtime connection now: call it when the device's network changes. */
  reconnectRealtime(): void {
    this.engine.reconnectRealtime();
  }
}
